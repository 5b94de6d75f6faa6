// The client side of the mlp language server: starts `mlp lsp` (or the
// configured command) over stdio for the `.mlp` files of the workspace, and
// restarts it when its settings change or on `mlp.restartServer`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

const CLIENT_ID = 'mlp';
const CLIENT_NAME = 'mlp Language Server';

/** Settings whose change needs a new server process. */
const RESTART_SETTINGS = ['mlp.server.path', 'mlp.server.args', 'mlp.inlayHints.schema'];

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceOutputChannel: vscode.OutputChannel | undefined;
/** Starts and stops run one after the other, never interleaved. */
let queue: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  traceOutputChannel = vscode.window.createOutputChannel(`${CLIENT_NAME} Trace`);
  context.subscriptions.push(outputChannel, traceOutputChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('mlp.restartServer', () => enqueue(restart)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_SETTINGS.some((setting) => event.affectsConfiguration(setting))) {
        void enqueue(restart);
      }
    }),
  );

  return enqueue(start);
}

export function deactivate(): Promise<void> {
  return enqueue(stop);
}

function enqueue(step: () => Promise<void>): Promise<void> {
  queue = queue.then(step, step);
  return queue;
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch (error) {
      outputChannel?.appendLine(`Stopping the server failed: ${String(error)}`);
    }
    await running.dispose();
  }
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration('mlp');
  const configured = config.get<string>('server.path', 'mlp').trim() || 'mlp';
  const args = config.get<string[]>('server.args', ['lsp']);
  const schemaHints = config.get<boolean>('inlayHints.schema', false);

  const command = resolveCommand(configured);
  if (command === undefined) {
    void notFound(configured);
    return;
  }

  // No `transport`: with `TransportKind.stdio` the client would append
  // `--stdio` to the arguments, which `mlp lsp` does not take.
  const executable: Executable = {
    command,
    args,
    options: { cwd: workspaceRoot(), env: process.env },
  };
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'mlp' }],
    initializationOptions: { inlayHints: { schema: schemaHints } },
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.mlp'),
    },
    outputChannel,
    traceOutputChannel,
  };

  const created = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = created;
  outputChannel?.appendLine(`Starting ${command} ${args.join(' ')}`);
  try {
    await created.start();
  } catch (error) {
    if (client === created) {
      client = undefined;
    }
    await created.dispose().catch(() => undefined);
    if (isNotFound(error)) {
      void notFound(configured);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      outputChannel?.appendLine(`The server did not start: ${message}`);
      void vscode.window.showErrorMessage(
        `mlp: the language server (${command} ${args.join(' ')}) did not start: ${message}`,
        'Show Output',
      ).then((choice) => {
        if (choice === 'Show Output') {
          outputChannel?.show(true);
        }
      });
    }
  }
}

/**
 * The executable to spawn for the `mlp.server.path` setting, or undefined if
 * there is none: a bare name is looked up on PATH; a path may start with `~`
 * or `${workspaceFolder}`, and a relative one is taken from the first
 * workspace folder.
 */
function resolveCommand(configured: string): string | undefined {
  const root = workspaceRoot();
  let value = configured.replace(/\$\{workspaceFolder\}/g, root ?? '');
  if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) {
    value = path.join(os.homedir(), value.slice(1));
  }
  const hasSeparator = value.includes('/') || value.includes('\\');
  if (hasSeparator || path.isAbsolute(value)) {
    const full = path.isAbsolute(value) ? value : path.resolve(root ?? process.cwd(), value);
    return executableCandidates(full).find(isFile);
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const found = executableCandidates(path.join(dir, value)).find(isFile);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/** `file`, and on Windows `file.exe`, `file.cmd`... as PATHEXT lists them. */
function executableCandidates(file: string): string[] {
  if (process.platform !== 'win32' || path.extname(file) !== '') {
    return [file];
  }
  const extensions = (process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e !== '');
  return [file, ...extensions.map((ext) => file + ext.toLowerCase())];
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function workspaceRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  return folder?.uri.fsPath;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOENT' || /\bENOENT\b/.test(String(error));
}

async function notFound(configured: string): Promise<void> {
  const message =
    `mlp: the language server binary \`${configured}\` was not found. ` +
    'Build and install mlp with `cargo install --path .` from the root of the mlp repository ' +
    '(so that `mlp` is on your PATH), or set `mlp.server.path` to the `mlp` binary.';
  outputChannel?.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Retry');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'mlp.server.path');
  } else if (choice === 'Retry') {
    await enqueue(restart);
  }
}
