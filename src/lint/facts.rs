//! What several rules ask of the program: the risk tier, the schema of a
//! table, where a field is written, which policies gate a deployment.

use super::{BlockWaiver, Context};
use crate::check::types::{Schema, Value};
use crate::check::{Block, BlockInfo, DeployInfo, ModelInfo, TableRef};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ExprKind, ItemKind};

/// The risk tiers in increasing order.
pub const RISK_TIERS: [&str; 4] = ["minimal", "limited", "high", "unacceptable"];

/// A word-valued field: `risk = high` and `risk = "high"` alike.
pub fn word(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::Str(s) => Some(s),
        Value::Word(w) => Some(&w.word),
        _ => None,
    }
}

/// The pipeline's risk tier, when declared.
pub fn risk<'a>(ctx: &Context<'a>) -> Option<&'a str> {
    word(ctx.program.pipeline.as_ref()?.fields.get("risk"))
}

pub fn is_high_risk(ctx: &Context) -> bool {
    matches!(risk(ctx), Some("high" | "unacceptable"))
}

/// A string field of the pipeline, when written and not blank.
pub fn pipeline_text<'a>(ctx: &Context<'a>, name: &str) -> Option<&'a str> {
    match ctx.program.pipeline.as_ref()?.fields.get(name)? {
        Value::Str(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// The entry module's `pipeline` block: its file and the span of the whole
/// block, or of the start of the file when there is none.
pub fn pipeline_block(ctx: &Context) -> (FileId, Span) {
    let module = &ctx.resolved.modules[0];
    let span = module
        .ast
        .items
        .iter()
        .find(|i| matches!(i.kind, ItemKind::Pipeline(_)))
        .map_or(Span::new(0, 0), |i| i.span);
    (module.file, span)
}

/// Where a finding about the pipeline points: its name, or the file's start.
pub fn pipeline_position(ctx: &Context) -> (FileId, Span) {
    match &ctx.program.pipeline {
        Some(p) => (p.file, p.span),
        None => (ctx.resolved.modules[0].file, Span::new(0, 0)),
    }
}

/// The user's blocks: findings point at the user's own files, not at the
/// standard library's policy packs.
pub fn own_blocks<'a>(ctx: &Context<'a>) -> impl Iterator<Item = &'a Block> {
    ctx.program.blocks.iter().filter(|b| {
        !matches!(
            ctx.resolved.modules[b.id.module].origin,
            crate::resolve::Origin::Std(_)
        )
    })
}

pub fn models<'a>(ctx: &Context<'a>) -> impl Iterator<Item = (&'a Block, &'a ModelInfo)> {
    own_blocks(ctx).filter_map(|b| match &b.info {
        BlockInfo::Model(m) => Some((b, m)),
        _ => None,
    })
}

pub fn deploys<'a>(ctx: &Context<'a>) -> impl Iterator<Item = (&'a Block, &'a DeployInfo)> {
    own_blocks(ctx).filter_map(|b| match &b.info {
        BlockInfo::Deploy(d) => Some((b, d)),
        _ => None,
    })
}

fn body<'a>(ctx: &Context<'a>, block: &Block) -> Option<&'a ast::Body> {
    match &ctx.resolved.item(block.id).kind {
        ItemKind::Pipeline(d) => Some(&d.body),
        ItemKind::Source(d) => Some(&d.body),
        ItemKind::Split(d) => Some(&d.body),
        ItemKind::Model(d) => Some(&d.body),
        ItemKind::Evaluate(d) => d.body.as_ref(),
        ItemKind::Policy(d) => Some(&d.body),
        ItemKind::Deploy(d) => Some(&d.body),
        _ => None,
    }
}

/// The span of the block's name (its whole span when it has none).
pub fn name_span(ctx: &Context, block: &Block) -> Span {
    ctx.resolved
        .item(block.id)
        .name()
        .map_or(block.span, |n| n.span)
}

/// The span of a field as written (`resources.cpu` in a `resources { }`
/// group too), or of the block's name when the field is not written.
pub fn field_span(ctx: &Context, block: &Block, path: &str) -> Span {
    written_field(ctx, block, path).unwrap_or_else(|| name_span(ctx, block))
}

pub fn written_field(ctx: &Context, block: &Block, path: &str) -> Option<Span> {
    let body = body(ctx, block)?;
    if let Some(f) = body.fields().find(|f| f.path.dotted() == path) {
        return Some(f.span);
    }
    let (group, rest) = path.split_once('.')?;
    let nested = body.nested(group)?;
    nested
        .body
        .fields()
        .find(|f| f.path.dotted() == rest)
        .map(|f| f.span)
}

/// The span of a nested block (`monitor { }`) of a block, when written.
pub fn nested_span(ctx: &Context, block: &Block, name: &str) -> Option<Span> {
    let nested = body(ctx, block)?.nested(name)?;
    Some(nested.name.span.to(nested.body.span))
}

/// The schema of a table reference: a source, a transform or a split part.
pub fn schema_of<'a>(ctx: &Context<'a>, table: &TableRef) -> Option<&'a Schema> {
    let block = ctx.program.block(table.id?)?;
    match &block.info {
        BlockInfo::Source(s) => Some(&s.schema),
        BlockInfo::Transform(t) => Some(&t.schema),
        BlockInfo::Split(s) => Some(&s.schema),
        _ => None,
    }
}

/// The features of `model` that carry `tag` (through every transform).
pub fn tagged_features(ctx: &Context, model: &ModelInfo, tag: &str) -> Vec<String> {
    let Some(schema) = model.data.as_ref().and_then(|d| schema_of(ctx, d)) else {
        return Vec::new();
    };
    model
        .features
        .iter()
        .filter(|f| schema.get(f).is_some_and(|c| c.tags.contains(tag)))
        .cloned()
        .collect()
}

/// The policy blocks a deployment lists in `gates`.
pub fn gate_policies<'a>(ctx: &Context<'a>, deploy: &DeployInfo) -> Vec<&'a Block> {
    deploy
        .gates
        .iter()
        .filter_map(|name| ctx.program.by_name(name))
        .collect()
}

/// Whether a `require approval for ...` rule covers the deployment: a rule
/// naming it in any policy, or a rule on `deploy` in a policy that gates
/// it, whose `when risk ...` condition (if any) holds for the pipeline.
pub fn approval_required(ctx: &Context, deploy: &Block, info: &DeployInfo) -> bool {
    let gates: Vec<&Block> = gate_policies(ctx, info);
    let tier = risk(ctx).and_then(|r| RISK_TIERS.iter().position(|t| *t == r));
    ctx.program.blocks.iter().any(|policy| {
        let ItemKind::Policy(p) = &ctx.resolved.item(policy.id).kind else {
            return false;
        };
        let gating = gates.iter().any(|g| g.id == policy.id);
        p.body.entries.iter().any(|entry| {
            let ast::Entry::Rule(ast::Rule {
                kind: ast::RuleKind::Approval { target, when },
                ..
            }) = entry
            else {
                return false;
            };
            let names: Vec<&str> = target.segments.iter().map(|s| s.name.as_str()).collect();
            let covers = match names.as_slice() {
                ["deploy"] => gating,
                ["deploy", name] | [name] => *name == deploy.name.rsplit('.').next().unwrap_or(""),
                _ => false,
            };
            covers && when.as_ref().is_none_or(|w| condition_holds(w, tier))
        })
    })
}

/// `risk >= high` and the like, for the pipeline's tier (`None`: unknown,
/// which no condition holds for).
fn condition_holds(when: &ast::Expr, tier: Option<usize>) -> bool {
    let ExprKind::Binary { op, rhs, .. } = &when.kind else {
        return false;
    };
    let bound = match &rhs.kind {
        ExprKind::Name(n) => RISK_TIERS.iter().position(|t| *t == n.name),
        ExprKind::Str(s) => RISK_TIERS.iter().position(|t| t == s),
        _ => None,
    };
    let (Some(tier), Some(bound)) = (tier, bound) else {
        return false;
    };
    match op {
        ast::BinaryOp::Ge => tier >= bound,
        ast::BinaryOp::Gt => tier > bound,
        ast::BinaryOp::Le => tier <= bound,
        ast::BinaryOp::Lt => tier < bound,
        ast::BinaryOp::Eq => tier == bound,
        ast::BinaryOp::Ne => tier != bound,
        _ => false,
    }
}

/// The metric gates (`require m.metric ...`) of a policy.
pub fn metric_gates(policy: &Block) -> impl Iterator<Item = &crate::check::Gate> {
    let rules = match &policy.info {
        BlockInfo::Policy(p) => p.rules.as_slice(),
        _ => &[],
    };
    rules.iter().filter_map(|r| r.gate.as_ref())
}

/// Every waiver, with the block it covers.
pub fn waivers<'a>(ctx: &Context<'a>) -> Vec<BlockWaiver<'a>> {
    let mut out = Vec::new();
    if let Some(p) = &ctx.program.pipeline {
        let (file, block) = pipeline_block(ctx);
        out.extend(p.waivers.iter().map(|waiver| BlockWaiver {
            waiver,
            file,
            block,
        }));
    }
    for block in &ctx.program.blocks {
        out.extend(block.waivers.iter().map(|waiver| BlockWaiver {
            waiver,
            file: block.file,
            block: block.span,
        }));
    }
    out
}
