//! Combines layers into a [`ResolvedPolicy`], enforcing the organisation floor.
//!
//! Every setting the organisation sets is a floor: a later layer may only move it to the
//! stricter side. Each setting kind has one "stricter-or-equal" function in [`stricter`], so
//! the check is mechanical (and property-tested). A weakening is not applied: it is recorded
//! as a [`Violation`] that `policy check` reports as an error and the hooks name next to the
//! finding it concerns. Rules the organisation `enforce`s cannot be disabled, downgraded or
//! made less sensitive by a later layer; allowlists are kept but never applied to them (that
//! happens in `scan::allow`).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use toml::Spanned;

use super::discover::LoadedFile;
use super::error::{line_col, PolicyError};
use super::file::{AllowSpec, PolicyFile};
use super::layer::{LayerInfo, LayerKind, Place, Source};
use super::{ActiveRule, AllowEntry, DisabledRule, ExceptionKind, ResolvedPolicy, Setting, Violation};
use crate::rules::spec::RuleSpec;
use crate::rules::validate::Validator;
use crate::rules::{CustomRule, RuleDef, Severity};

/// "Is `value` stricter than or equal to `floor`?", one function per setting kind.
pub mod stricter {
    use crate::rules::Severity;

    /// `min-severity-to-block`: a lower threshold blocks more.
    pub fn block_threshold(floor: &Severity, value: &Severity) -> bool {
        value <= floor
    }

    /// `max-file-bytes`: a higher limit scans more.
    pub fn size_limit(floor: &u64, value: &u64) -> bool {
        value >= floor
    }

    /// `max-push-commits`: a lower limit refuses more pushes whole.
    pub fn count_limit(floor: &usize, value: &usize) -> bool {
        value <= floor
    }

    /// A permission (`inline-ignores`, `ignore-file`, `allow-bypass`, `foreign-markers`):
    /// switching it on when the floor has it off is weaker.
    pub fn permission(floor: &bool, value: &bool) -> bool {
        *floor || !*value
    }

    /// A requirement (`require-reason`, `require-owner`): switching it off is weaker.
    pub fn requirement(floor: &bool, value: &bool) -> bool {
        *value || !*floor
    }

    /// `max-ignore-days` (`None` = unlimited): a longer (or no) limit is weaker.
    pub fn expiry_limit(floor: &Option<u32>, value: &Option<u32>) -> bool {
        match (floor, value) {
            (None, _) => true,
            (Some(f), Some(v)) => v <= f,
            (Some(_), None) => false,
        }
    }

    /// A rule's severity: lower is weaker.
    pub fn rule_severity(floor: &Severity, value: &Severity) -> bool {
        value >= floor
    }

    /// A rule's minimum entropy (`None` = 0): higher finds less.
    pub fn rule_entropy(floor: &Option<f64>, value: &Option<f64>) -> bool {
        value.unwrap_or(0.0) <= floor.unwrap_or(0.0)
    }

    /// Settings with no safe side (`fetch-on-miss`).
    pub fn any<T>(_: &T, _: &T) -> bool {
        true
    }
}

/// Whether a rule id matches a glob (`*` any run of characters, `?` one character).
///
/// Greedy matching that, on a mismatch, resumes from the last `*` with one more byte consumed:
/// at worst pattern length × id length steps, whatever the pattern. (A recursive matcher is
/// exponential in the number of stars: a `.leakgate.toml` with `"****…x"` hung every hook.)
pub fn id_glob_match(pattern: &str, id: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), id.as_bytes());
    let (mut pi, mut si) = (0, 0);
    // The last star seen and the id position its run would end at next.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((at, end)) => {
                    star = Some((at, end + 1));
                    pi = at + 1;
                    si = end + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Values as TOML writes them, for messages and `policy show`.
pub trait ValueText {
    /// The TOML form.
    fn text(&self) -> String;
}

impl ValueText for bool {
    fn text(&self) -> String {
        self.to_string()
    }
}
impl ValueText for u64 {
    fn text(&self) -> String {
        self.to_string()
    }
}
impl ValueText for usize {
    fn text(&self) -> String {
        self.to_string()
    }
}
impl ValueText for Severity {
    fn text(&self) -> String {
        format!("{:?}", self.as_str())
    }
}
impl ValueText for Option<u32> {
    fn text(&self) -> String {
        self.map_or_else(|| "unlimited".to_string(), |v| v.to_string())
    }
}

struct Ctx<'a> {
    kind: LayerKind,
    name: &'a str,
    file: Arc<str>,
    text: &'a str,
}

impl Ctx<'_> {
    fn src(&self, span: &Range<usize>, key: &str) -> Source {
        Source::new(Place {
            kind: self.kind,
            file: self.file.clone(),
            position: Some(line_col(self.text, span.start)),
            key: Arc::from(key),
        })
    }

    fn err(&self, span: &Range<usize>, message: impl Into<String>) -> PolicyError {
        PolicyError::at(self.name, self.text, span, message)
    }
}

fn set<T: Clone + ValueText>(
    setting: &mut Setting<T>,
    value: T,
    src: Source,
    ok: fn(&T, &T) -> bool,
    violations: &mut Vec<Violation>,
) {
    if let Some((floor, by)) = &setting.floor {
        if !ok(floor, &value) {
            violations.push(Violation {
                rule: None,
                enforced_by: by.clone(),
                what: format!(
                    "set {} = {}, weaker than the organisation's {}",
                    src.key,
                    value.text(),
                    floor.text()
                ),
                attempted_by: src,
            });
            return;
        }
    }
    setting.value = value.clone();
    setting.from = src.clone();
    if src.kind.is_org() {
        setting.floor = Some((value, src));
    }
}

/// Applies `files` (lowest precedence first) over the built-in defaults.
///
/// # Errors
/// A value is invalid (unknown severity or rule, bad regex or glob, duplicate rule id, ...).
pub fn merge(files: &[LoadedFile]) -> Result<ResolvedPolicy, PolicyError> {
    let mut policy = ResolvedPolicy::default();
    for loaded in files {
        let ctx = Ctx {
            kind: loaded.kind,
            name: &loaded.name,
            file: Arc::from(loaded.name.as_str()),
            text: &loaded.text,
        };
        apply_file(&mut policy, &ctx, &loaded.file)?;
        policy.layers.push(LayerInfo { kind: loaded.kind, name: loaded.name.clone() });
    }
    policy.sync_plain_fields();
    Ok(policy)
}

fn apply_file(policy: &mut ResolvedPolicy, ctx: &Ctx<'_>, file: &PolicyFile) -> Result<(), PolicyError> {
    apply_settings(policy, ctx, file)?;
    for rule in &file.rule {
        add_custom_rule(policy, ctx, rule)?;
    }
    if let Some(rules) = &file.rules {
        for glob in &rules.disable {
            disable(policy, ctx, glob)?;
        }
        for (glob, severity) in &rules.severity {
            let value = Severity::parse(severity.get_ref()).ok_or_else(|| {
                ctx.err(
                    &severity.span(),
                    format!("{:?} is not a severity; use low, medium, high or critical", severity.get_ref()),
                )
            })?;
            tune(
                policy,
                ctx,
                glob,
                &severity.span(),
                &format!("rules.severity.\"{glob}\""),
                Tune::Severity(value),
            )?;
        }
        for (glob, entropy) in &rules.entropy {
            let value = *entropy.get_ref();
            if !(0.0..=8.0).contains(&value) {
                return Err(
                    ctx.err(&entropy.span(), "entropy is in bits per character: use a number from 0 to 8")
                );
            }
            tune(
                policy,
                ctx,
                glob,
                &entropy.span(),
                &format!("rules.entropy.\"{glob}\""),
                Tune::Entropy(value),
            )?;
        }
    }
    for entry in &file.allow {
        add_allow(policy, ctx, entry)?;
    }
    if let Some(enforce) = &file.enforce {
        if !ctx.kind.is_org() {
            return Err(ctx.err(
                &enforce.span(),
                "only an organisation policy can enforce rules; remove [enforce] from this file (a repository \
                 policy is already applied in full)",
            ));
        }
        let spec = enforce.get_ref();
        if spec.all {
            let src = ctx.src(&enforce.span(), "enforce.all");
            for rule in &mut policy.active {
                rule.enforced.get_or_insert_with(|| src.clone());
            }
        }
        for glob in &spec.rules {
            let src = ctx.src(&glob.span(), &format!("enforce.rules = [\"{}\"]", glob.get_ref()));
            let mut any = false;
            for rule in policy.active.iter_mut().filter(|r| id_glob_match(glob.get_ref(), r.def.id())) {
                rule.enforced.get_or_insert_with(|| src.clone());
                any = true;
            }
            if !any {
                return Err(ctx.err(
                    &glob.span(),
                    format!(
                        "enforce.rules names {:?}, which matches no active rule; `leakgate rules` lists them",
                        glob.get_ref()
                    ),
                ));
            }
        }
        if let Some(mode) = &spec.on_violation {
            match mode.get_ref().as_str() {
                "error" => {
                    policy.violation_is_error =
                        Some(ctx.src(&mode.span(), "enforce.on-violation = \"error\""))
                }
                "ignore" => {}
                other => {
                    return Err(ctx
                        .err(&mode.span(), format!("on-violation = {other:?}: use \"ignore\" or \"error\"")))
                }
            }
        }
        for kind in &spec.exceptions {
            let parsed = ExceptionKind::parse(kind.get_ref()).ok_or_else(|| {
                ctx.err(
                    &kind.span(),
                    format!(
                        "{:?} is not an exception kind; use allowlist, inline, ignore-file or bypass",
                        kind.get_ref()
                    ),
                )
            })?;
            policy.enforced_exceptions.push((parsed, ctx.src(&kind.span(), "enforce.exceptions")));
        }
    }
    Ok(())
}

fn apply_settings(policy: &mut ResolvedPolicy, ctx: &Ctx<'_>, file: &PolicyFile) -> Result<(), PolicyError> {
    if let Some(wanted) = &file.min_leakgate_version {
        check_version(ctx, wanted, env!("CARGO_PKG_VERSION"))?;
    }
    let v = &mut policy.violations;
    let s = &mut policy.settings;
    if let Some(value) = &file.min_severity_to_block {
        let sev = Severity::parse(value.get_ref()).ok_or_else(|| {
            ctx.err(
                &value.span(),
                format!(
                    "min-severity-to-block = {:?} is not a severity; use low, medium, high or critical",
                    value.get_ref()
                ),
            )
        })?;
        set(
            &mut s.block_severity,
            sev,
            ctx.src(&value.span(), "min-severity-to-block"),
            stricter::block_threshold,
            v,
        );
    }
    if let Some(value) = &file.max_file_bytes {
        if *value.get_ref() == 0 {
            return Err(ctx.err(&value.span(), "max-file-bytes must be greater than 0"));
        }
        set(
            &mut s.max_file_bytes,
            *value.get_ref(),
            ctx.src(&value.span(), "max-file-bytes"),
            stricter::size_limit,
            v,
        );
    }
    if let Some(value) = &file.max_push_commits {
        if *value.get_ref() == 0 {
            return Err(ctx.err(&value.span(), "max-push-commits must be greater than 0"));
        }
        set(
            &mut s.max_push_commits,
            *value.get_ref(),
            ctx.src(&value.span(), "max-push-commits"),
            stricter::count_limit,
            v,
        );
    }
    type Flag<'a> = (&'a Option<Spanned<bool>>, &'a mut Setting<bool>, &'a str, fn(&bool, &bool) -> bool);
    let flags: [Flag<'_>; 7] = [
        (&file.inline_ignores, &mut s.inline_ignores, "inline-ignores", stricter::permission),
        (&file.foreign_markers, &mut s.foreign_markers, "foreign-markers", stricter::permission),
        (&file.ignore_file, &mut s.ignore_file, "ignore-file", stricter::permission),
        (&file.allow_bypass, &mut s.allow_bypass, "allow-bypass", stricter::permission),
        (&file.require_reason, &mut s.require_reason, "require-reason", stricter::requirement),
        (&file.require_owner, &mut s.require_owner, "require-owner", stricter::requirement),
        (&file.fetch_on_miss, &mut s.fetch_on_miss, "fetch-on-miss", stricter::any),
    ];
    for (value, setting, key, ok) in flags {
        if let Some(value) = value {
            set(setting, *value.get_ref(), ctx.src(&value.span(), key), ok, v);
        }
    }
    if let Some(value) = &file.max_ignore_days {
        if *value.get_ref() == 0 {
            return Err(ctx.err(&value.span(), "max-ignore-days must be greater than 0"));
        }
        set(
            &mut s.max_ignore_days,
            Some(*value.get_ref()),
            ctx.src(&value.span(), "max-ignore-days"),
            stricter::expiry_limit,
            v,
        );
    }
    if let Some(value) = &file.allow_user_org_policy {
        if ctx.kind != LayerKind::System {
            return Err(ctx.err(
                &value.span(),
                "allow-user-org-policy only has an effect in the system policy (/etc/leakgate/policy.toml); remove it here",
            ));
        }
    }
    Ok(())
}

/// `min-leakgate-version`: `wanted` (`1`, `1.2` or `1.2.3`) against this binary's version.
fn check_version(ctx: &Ctx<'_>, wanted: &Spanned<String>, have: &str) -> Result<(), PolicyError> {
    let parse = |v: &str| -> Option<Vec<u64>> {
        let core = v.split(['-', '+']).next().unwrap_or(v);
        core.split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u64>>>()
            .filter(|p| (1..=3).contains(&p.len()))
    };
    let Some(mut want) = parse(wanted.get_ref()) else {
        return Err(ctx.err(&wanted.span(), "min-leakgate-version must look like \"0.2\" or \"1.4.0\""));
    };
    let mut got = parse(have).unwrap_or_default();
    want.resize(3, 0);
    got.resize(3, 0);
    if got < want {
        return Err(ctx.err(
            &wanted.span(),
            format!(
                "this policy needs leakgate {} or newer, and this is leakgate {have}: upgrade leakgate (it would \
                 otherwise misread newer policy keys)",
                wanted.get_ref()
            ),
        ));
    }
    Ok(())
}

fn add_custom_rule(
    policy: &mut ResolvedPolicy,
    ctx: &Ctx<'_>,
    rule: &Spanned<RuleSpec>,
) -> Result<(), PolicyError> {
    let span = rule.span();
    let r = rule.get_ref();
    let err = |m: String| ctx.err(&span, format!("rule {:?}: {m}", r.id));
    if r.id.is_empty()
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_')
    {
        return Err(err(
            "the id must be lower-case `<provider>.<kind>` (letters, digits, `.`, `-`)".to_string()
        ));
    }
    if policy.active.iter().any(|a| a.def.id() == r.id) || policy.disabled.iter().any(|d| d.id == r.id) {
        return Err(err(
            "duplicate rule id: a rule with this id already exists; give the new rule its own id, or tune the \
             existing one with [rules.severity] / [rules.entropy]"
                .to_string(),
        ));
    }
    let severity = Severity::parse(&r.severity)
        .ok_or_else(|| err(format!("severity {:?} is not low, medium, high or critical", r.severity)))?;
    if r.regex.is_none() && r.path.is_none() {
        return Err(err("a rule needs `regex` (content) or `path` (file name)".to_string()));
    }
    if r.regex.is_some() && r.keywords.is_empty() {
        return Err(err(
            "a content rule needs `keywords` for the prefilter (literal strings every match contains)"
                .to_string(),
        ));
    }
    if let Some(k) = r.keywords.iter().find(|k| k.len() < 3 || !k.is_ascii()) {
        return Err(err(format!("keyword {k:?} must be ASCII and at least 3 bytes")));
    }
    for (what, pattern) in [("regex", &r.regex), ("path", &r.path)] {
        if let Some(p) = pattern {
            crate::policy::compile_regex(p)
                .map_err(|e| err(format!("{what} does not compile: {}", first_line(&e.to_string()))))?;
        }
    }
    if let Some(v) = &r.validator {
        if Validator::parse(v).is_none() {
            return Err(err(format!("validator {v:?} is unknown; known: {}", Validator::NAMES.join(", "))));
        }
    }
    let keywords: Vec<String> = r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
    let def = RuleDef::custom(
        CustomRule {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            keywords,
            regex: r.regex.clone(),
            path: r.path.clone(),
            validator: r.validator.clone(),
            placeholders: r.placeholders,
            revoke: r.remediation.revoke.clone(),
            url: r.remediation.url.clone(),
            instead: r.remediation.instead.clone(),
            examples: r.examples.clone(),
            negative_examples: r.negative_examples.clone(),
        },
        severity,
        r.entropy,
    );
    let src = ctx.src(&span, &format!("[[rule]] id = {:?}", r.id));
    policy.active.push(ActiveRule {
        def,
        from: src.clone(),
        severity_from: src.clone(),
        entropy_from: src,
        enforced: None,
    });
    Ok(())
}

fn disable(policy: &mut ResolvedPolicy, ctx: &Ctx<'_>, glob: &Spanned<String>) -> Result<(), PolicyError> {
    let pattern = glob.get_ref();
    let src = ctx.src(&glob.span(), &format!("rules.disable = [\"{pattern}\"]"));
    let known = policy.active.iter().any(|r| id_glob_match(pattern, r.def.id()))
        || policy.disabled.iter().any(|d| id_glob_match(pattern, &d.id));
    if !known {
        return Err(ctx.err(
            &glob.span(),
            format!("rules.disable names {pattern:?}, which is not a rule; `leakgate rules` lists them"),
        ));
    }
    let mut kept = Vec::with_capacity(policy.active.len());
    for rule in std::mem::take(&mut policy.active) {
        if !id_glob_match(pattern, rule.def.id()) {
            kept.push(rule);
            continue;
        }
        match &rule.enforced {
            Some(by) => {
                policy.violations.push(Violation {
                    rule: Some(rule.def.id().to_string()),
                    enforced_by: by.clone(),
                    attempted_by: src.clone(),
                    what: format!("disable {}", rule.def.id()),
                });
                kept.push(rule);
            }
            None => policy.disabled.push(DisabledRule { id: rule.def.id().to_string(), from: src.clone() }),
        }
    }
    policy.active = kept;
    Ok(())
}

enum Tune {
    Severity(Severity),
    Entropy(f64),
}

fn tune(
    policy: &mut ResolvedPolicy,
    ctx: &Ctx<'_>,
    pattern: &str,
    span: &Range<usize>,
    key: &str,
    change: Tune,
) -> Result<(), PolicyError> {
    let src = ctx.src(span, key);
    let mut any = false;
    for rule in policy.active.iter_mut().filter(|r| id_glob_match(pattern, r.def.id())) {
        any = true;
        let (def, ok, what) = match change {
            Tune::Severity(s) => {
                let def = rule.def.with_severity(s);
                (
                    def,
                    stricter::rule_severity(&rule.def.severity(), &s),
                    format!("lower the severity of {} to {s}", def.id()),
                )
            }
            Tune::Entropy(e) => {
                let def = rule.def.with_entropy(e);
                (
                    def,
                    stricter::rule_entropy(&rule.def.entropy(), &Some(e)),
                    format!("raise the minimum entropy of {} to {e}", def.id()),
                )
            }
        };
        if let Some(by) = &rule.enforced {
            if !ok {
                policy.violations.push(Violation {
                    rule: Some(def.id().to_string()),
                    enforced_by: by.clone(),
                    attempted_by: src.clone(),
                    what,
                });
                continue;
            }
        }
        rule.def = Box::leak(Box::new(def));
        match change {
            Tune::Severity(_) => rule.severity_from = src.clone(),
            Tune::Entropy(_) => rule.entropy_from = src.clone(),
        }
    }
    if !any && !policy.disabled.iter().any(|d| id_glob_match(pattern, &d.id)) {
        return Err(ctx.err(span, format!("{pattern:?} matches no rule; `leakgate rules` lists them")));
    }
    Ok(())
}

fn add_allow(
    policy: &mut ResolvedPolicy,
    ctx: &Ctx<'_>,
    entry: &Spanned<AllowSpec>,
) -> Result<(), PolicyError> {
    let spec = entry.get_ref();
    if spec.paths.is_empty() && spec.secrets.is_empty() && spec.lines.is_empty() && spec.stopwords.is_empty()
    {
        return Err(ctx.err(
            &entry.span(),
            "this [[allow]] entry allows nothing: give paths, secrets, lines or stopwords (to switch a rule off, use \
             rules.disable)",
        ));
    }
    for glob in &spec.rules {
        let known = policy.active.iter().any(|r| id_glob_match(glob.get_ref(), r.def.id()))
            || policy.disabled.iter().any(|d| id_glob_match(glob.get_ref(), &d.id));
        if !known {
            return Err(
                ctx.err(&glob.span(), format!("allow.rules names {:?}, which is not a rule", glob.get_ref()))
            );
        }
    }
    let mut paths = GlobSetBuilder::new();
    for glob in &spec.paths {
        let g = Glob::new(glob.get_ref()).map_err(|e| {
            ctx.err(&glob.span(), format!("invalid path glob {:?}: {}", glob.get_ref(), e.kind()))
        })?;
        paths.add(g);
    }
    let paths: GlobSet =
        paths.build().map_err(|e| ctx.err(&entry.span(), format!("invalid path globs: {}", e.kind())))?;
    let regexes = |list: &[Spanned<String>], key: &str| -> Result<Vec<Regex>, PolicyError> {
        list.iter()
            .map(|r| {
                crate::policy::compile_regex(r.get_ref()).map_err(|e| {
                    ctx.err(
                        &r.span(),
                        format!(
                            "{key} regex {:?} does not compile: {}",
                            r.get_ref(),
                            first_line(&e.to_string())
                        ),
                    )
                })
            })
            .collect()
    };
    let src = ctx.src(&entry.span(), &format!("[[allow]] {}", spec.canonical()));
    let rules: Vec<String> = spec.rules.iter().map(|r| r.get_ref().clone()).collect();
    if !ctx.kind.is_org() {
        for rule in &policy.active {
            if let Some(by) = &rule.enforced {
                if rules.iter().any(|g| id_glob_match(g, rule.def.id()))
                    && !policy.exception_allowed(rule.def, ExceptionKind::Allowlist)
                {
                    policy.violations.push(Violation {
                        rule: Some(rule.def.id().to_string()),
                        enforced_by: by.clone(),
                        attempted_by: src.clone(),
                        what: format!("allowlist {}", rule.def.id()),
                    });
                }
            }
        }
    }
    policy.allow.push(AllowEntry {
        rules,
        path_patterns: spec.paths.iter().map(|p| p.get_ref().clone()).collect(),
        paths,
        secrets: regexes(&spec.secrets, "allow.secrets")?,
        lines: regexes(&spec.lines, "allow.lines")?,
        stopwords: spec.stopwords.iter().map(|s| s.get_ref().to_lowercase()).collect(),
        reason: spec.reason.clone(),
        from: src,
    });
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tries to {}, but {} enforces it; the change is ignored — remove it",
            self.attempted_by, self.what, self.enforced_by
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::scan::allow::Filter;
    use crate::scan::Finding;
    use crate::secret::Secret;
    use crate::source::Origin;

    const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
    const GLOBS: [&str; 5] = ["aws.*", "github.*", "slack.bot-token", "generic.*", "*"];

    fn layer(kind: LayerKind, name: &str, text: &str) -> LoadedFile {
        LoadedFile {
            kind,
            name: name.to_string(),
            text: text.to_string(),
            file: PolicyFile::parse(Path::new(name), text).unwrap(),
        }
    }

    fn opt<T: std::fmt::Debug>(key: &str, v: Option<T>, out: &mut String, quote: bool) {
        if let Some(v) = v {
            let text = format!("{v:?}");
            let text = if quote { text } else { text.trim_matches('"').to_string() };
            out.push_str(&format!("{key} = {text}\n"));
        }
    }

    /// Top-level settings, any combination.
    fn settings() -> impl Strategy<Value = String> {
        (
            proptest::option::of(0..4usize),
            proptest::option::of(1..100_000_000u64),
            proptest::option::of(1..100_000usize),
            proptest::collection::vec(proptest::option::of(any::<bool>()), 6),
            proptest::option::of(1..1000u32),
        )
            .prop_map(|(sev, bytes, commits, flags, days)| {
                let mut s = String::new();
                opt("min-severity-to-block", sev.map(|i| SEVERITIES[i]), &mut s, true);
                opt("max-file-bytes", bytes, &mut s, false);
                opt("max-push-commits", commits, &mut s, false);
                let names = [
                    "inline-ignores",
                    "foreign-markers",
                    "ignore-file",
                    "allow-bypass",
                    "require-reason",
                    "require-owner",
                ];
                for (name, v) in names.iter().zip(flags) {
                    opt(name, v, &mut s, false);
                }
                opt("max-ignore-days", days, &mut s, false);
                s
            })
    }

    fn org_layer() -> impl Strategy<Value = String> {
        (settings(), proptest::collection::vec(0..GLOBS.len(), 0..3)).prop_map(|(mut s, enforce)| {
            let globs: Vec<String> = enforce.iter().map(|i| format!("{:?}", GLOBS[*i])).collect();
            s.push_str(&format!("[enforce]\nrules = [{}]\n", globs.join(", ")));
            s
        })
    }

    fn repo_layer() -> impl Strategy<Value = String> {
        (
            settings(),
            proptest::collection::vec(0..GLOBS.len(), 0..3),
            proptest::collection::vec((0..GLOBS.len(), 0..4usize), 0..3),
            proptest::collection::vec((0..GLOBS.len(), 0.0..8.0f64), 0..3),
            any::<bool>(),
        )
            .prop_map(|(mut s, disable, severity, entropy, allow)| {
                let globs: Vec<String> = disable.iter().map(|i| format!("{:?}", GLOBS[*i])).collect();
                s.push_str(&format!("[rules]\ndisable = [{}]\n", globs.join(", ")));
                s.push_str("[rules.severity]\n");
                let mut seen = Vec::new();
                for (g, sev) in severity {
                    if !seen.contains(&g) {
                        seen.push(g);
                        s.push_str(&format!("{:?} = {:?}\n", GLOBS[g], SEVERITIES[sev]));
                    }
                }
                s.push_str("[rules.entropy]\n");
                let mut seen = Vec::new();
                for (g, e) in entropy {
                    if !seen.contains(&g) {
                        seen.push(g);
                        s.push_str(&format!("{:?} = {e:.2}\n", GLOBS[g]));
                    }
                }
                if allow {
                    s.push_str("[[allow]]\npaths = [\"**\"]\nsecrets = [\".\"]\nlines = [\".\"]\nstopwords = [\"a\"]\n");
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Whatever a repository layer says, the merged policy is at least as strict as the
        /// organisation floor, and no repository exception lets an enforced finding through.
        #[test]
        fn merged_policy_is_never_weaker_than_the_org_floor(org in org_layer(), repo in repo_layer()) {
            let org_file = layer(LayerKind::Org, "org.toml", &org);
            let floor = merge(std::slice::from_ref(&org_file)).unwrap();
            let merged = merge(&[org_file, layer(LayerKind::Repo, ".leakgate.toml", &repo)]).unwrap();
            // Independent oracles (not the `stricter` functions under test).
            let (f, m) = (&floor.settings, &merged.settings);
            prop_assert!(f.block_severity.floor.is_none() || m.block_severity.value <= f.block_severity.value);
            prop_assert!(f.max_file_bytes.floor.is_none() || m.max_file_bytes.value >= f.max_file_bytes.value);
            prop_assert!(f.max_push_commits.floor.is_none() || m.max_push_commits.value <= f.max_push_commits.value);
            for (a, b) in [(&f.inline_ignores, &m.inline_ignores), (&f.foreign_markers, &m.foreign_markers),
                           (&f.ignore_file, &m.ignore_file), (&f.allow_bypass, &m.allow_bypass)] {
                prop_assert!(a.floor.is_none() || a.value || !b.value, "a permission the org switched off was switched on");
            }
            for (a, b) in [(&f.require_reason, &m.require_reason), (&f.require_owner, &m.require_owner)] {
                prop_assert!(a.floor.is_none() || !a.value || b.value, "a requirement the org set was dropped");
            }
            if let (Some(_), Some(limit)) = (&f.max_ignore_days.floor, f.max_ignore_days.value) {
                prop_assert!(m.max_ignore_days.value.is_some_and(|v| v <= limit));
            }
            let filter = Filter::with_ignore_file(&merged, None, 0).unwrap();
            for rule in floor.active.iter().filter(|r| r.enforced.is_some()) {
                let now = merged.rule(rule.def.id());
                prop_assert!(now.is_some(), "enforced rule {} was disabled", rule.def.id());
                let now = now.unwrap();
                prop_assert!(now.enforced.is_some());
                prop_assert!(now.def.severity() >= rule.def.severity());
                prop_assert!(now.def.entropy().unwrap_or(0.0) <= rule.def.entropy().unwrap_or(0.0));
                let secret = Secret::new(b"abcdefgh12345678");
                let finding = Finding {
                    rule: now.def,
                    severity: now.def.severity(),
                    origin: Origin::File,
                    path: "src/a.txt".to_string(),
                    line: 2,
                    column: 1,
                    fingerprint: secret.fingerprint(now.def.id()),
                    secret,
                    also_elsewhere: 0,
                    span: 0..16,
                };
                let judged = filter.judge(&finding, Some(b"k = v # leakgate:allow reason=\"x\""), Some(b"# leakgate:allow-next-line"));
                prop_assert!(judged.allowed_by.is_none(), "{} allowed by {:?}", rule.def.id(), judged.allowed_by);
            }
        }
    }

    #[test]
    fn the_example_policy_is_valid_as_an_organisation_layer_and_not_as_a_repository() {
        let text = include_str!("../../policy.example.toml");
        let merged = merge(&[layer(LayerKind::Org, "policy.example.toml", text)]).unwrap();
        assert_eq!(merged.block_severity, Severity::Medium);
        let err = merge(&[layer(LayerKind::Repo, ".leakgate.toml", text)]).unwrap_err();
        assert!(err.message.contains("only an organisation policy"), "{err}");
    }

    #[test]
    fn min_leakgate_version_stops_an_older_binary() {
        let ok = merge(&[layer(LayerKind::Org, "org.toml", "min-leakgate-version = \"0.1\"\n")]);
        assert!(ok.is_ok());
        let err =
            merge(&[layer(LayerKind::Org, "org.toml", "min-leakgate-version = \"99.1\"\n")]).unwrap_err();
        assert!(
            err.to_string().starts_with("org.toml:1:24: this policy needs leakgate 99.1 or newer"),
            "{err}"
        );
        let bad =
            merge(&[layer(LayerKind::Org, "org.toml", "min-leakgate-version = \"latest\"\n")]).unwrap_err();
        assert!(bad.message.contains("must look like"), "{bad}");
    }

    #[test]
    fn rule_globs() {
        assert!(id_glob_match("aws.*", "aws.access-key-id"));
        assert!(!id_glob_match("aws.*", "github.token"));
        assert!(id_glob_match("*", "x"));
        assert!(id_glob_match("slack.toke?", "slack.token"));
        assert!(id_glob_match("*.*-*", "aws.access-key-id"));
        assert!(id_glob_match("a*b*c", "aXbYbZc"));
        assert!(!id_glob_match("a*b*c", "aXbYbZ"));
        assert!(!id_glob_match("?", ""));
        assert!(id_glob_match("", ""));
        assert!(!id_glob_match("", "x"));
        assert!(id_glob_match("**", ""));
    }

    /// A recursive matcher took exponential time on a pattern of many stars that does not match
    /// (the policy fuzz target timed out on it), so one line of `.leakgate.toml` hung every hook.
    #[test]
    fn rule_globs_with_many_stars_do_not_backtrack_exponentially() {
        let pattern = format!("{}x", "*".repeat(40));
        for rule in crate::rules::BUILTIN {
            assert!(!id_glob_match(&pattern, rule.id()));
        }
        assert!(id_glob_match(&"*?".repeat(20), &"a".repeat(25)));
        assert!(!id_glob_match(&"*?".repeat(30), &"a".repeat(25)));
        let text = format!("[rules]\ndisable = [\"{pattern}\"]\n");
        let file = PolicyFile::parse(std::path::Path::new("p.toml"), &text).expect("parses");
        let loaded = LoadedFile { kind: LayerKind::Repo, name: "p.toml".into(), text, file };
        let err = merge(&[loaded]).expect_err("matches no rule");
        assert!(err.message.contains("not a rule"), "{err}");
    }
}
