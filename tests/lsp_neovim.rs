//! A real client: Neovim's built-in LSP client starts `mlp lsp` on a broken
//! fixture, waits for its diagnostics and asks for a hover. Skipped without
//! `nvim`, unless MLP_REQUIRE_TOOLS is set.

mod common;

use std::process::Command;

#[test]
fn neovim_gets_diagnostics_and_a_hover() {
    if !common::tool_available("nvim", "--version") {
        return;
    }
    let root = common::root();
    let dir = std::env::temp_dir().join(format!("mlp-nvim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.json");
    let script = dir.join("init.lua");
    let lua = format!(
        r#"
local file = "{file}"
vim.cmd("edit " .. file)
local buf = vim.api.nvim_get_current_buf()
-- vim.lsp.start_client: also on Neovim 0.7 (vim.lsp.start came in 0.8).
local client = vim.lsp.start_client({{ name = "mlp", cmd = {{ "{bin}", "lsp" }}, root_dir = "{root}" }})
vim.lsp.buf_attach_client(buf, client)
local ok = vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local diags = {{}}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  table.insert(diags, {{ code = code, lnum = d.lnum, col = d.col }})
end
local hover = vim.lsp.buf_request_sync(buf, "textDocument/hover", {{
  textDocument = {{ uri = vim.uri_from_bufnr(buf) }},
  position = {{ line = 2, character = 14 }},
}}, 10000)
local text = ""
for _, r in pairs(hover or {{}}) do
  if r.result and r.result.contents then text = r.result.contents.value end
end
local f = io.open("{out}", "w")
f:write(vim.json.encode({{ waited = ok, diagnostics = diags, hover = text }}))
f:close()
vim.cmd("qa!")
"#,
        file = root
            .join("tests/fixtures/errors/MLP2007-unknown-operation.mlp")
            .display(),
        bin = env!("CARGO_BIN_EXE_mlp"),
        root = root.display(),
        out = out.display(),
    );
    std::fs::write(&script, lua).unwrap();
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(&script)
        .status()
        .expect("nvim runs");
    assert!(status.success());
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("nvim wrote its results"))
            .unwrap();
    let diags = result["diagnostics"].as_array().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "MLP2007" && d["lnum"] == 3 && d["col"] == 4),
        "{result}"
    );
    assert!(
        result["hover"].as_str().unwrap().contains("**source** `s`"),
        "{result}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
