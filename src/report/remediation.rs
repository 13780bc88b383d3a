//! What to put in place of a hard-coded secret, by file type: data in `remediation.toml`, turned
//! into static tables by `build.rs`, so a report with findings parses nothing.

/// How to replace a secret in one kind of file.
#[derive(Debug, Clone, Copy)]
pub struct FileKind {
    /// Human name of the file type ("Python", "GitHub Actions workflow").
    pub label: &'static str,
    /// Base names (with `*` at either end as a wildcard).
    pub names: &'static [&'static str],
    /// Extensions without the dot, lower case.
    pub extensions: &'static [&'static str],
    /// Directories the file must sit under.
    pub under: &'static [&'static str],
    /// What to do, in a few words.
    pub advice: &'static str,
    /// The reference to write instead, with `%NAME%` / `%name%` placeholders.
    pub reference: &'static str,
    /// Files of this kind should not be committed at all (`.env`, key files).
    pub keep_out: bool,
}

/// The file kinds in match order (the last matches every file), and the variable names suggested
/// per rule id or family glob (`generic.*`), from `remediation.toml`.
static KINDS: &[FileKind] = include!(concat!(env!("OUT_DIR"), "/remediation_kinds.rs"));
static NAMES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/remediation_names.rs"));

/// The file kinds, in match order, and the variable names suggested per rule.
#[derive(Debug, Clone, Copy)]
pub struct Advice {
    names: &'static [(&'static str, &'static str)],
    kinds: &'static [FileKind],
}

impl Advice {
    /// The embedded table (static data: nothing is parsed).
    pub fn load() -> Advice {
        Advice { names: NAMES, kinds: KINDS }
    }

    /// The environment-style name suggested for a secret found by `rule_id`.
    pub fn name_for(&self, rule_id: &str) -> String {
        let family = rule_id.split('.').next().unwrap_or(rule_id);
        let named = |key: &str| self.names.iter().find(|(k, _)| *k == key).map(|(_, name)| name.to_string());
        named(rule_id).or_else(|| named(&format!("{family}.*"))).unwrap_or_else(|| env_name(rule_id))
    }

    /// The reference to write in a file of `kind` for a secret found by `rule_id`.
    pub fn reference(&self, kind: &FileKind, rule_id: &str) -> String {
        let name = self.name_for(rule_id);
        kind.reference.replace("%NAME%", &name).replace("%name%", &name.to_ascii_lowercase())
    }

    /// The first kind matching `path` (repository-relative, forward slashes).
    pub fn for_path(&self, path: &str) -> Option<&FileKind> {
        let base = path.rsplit('/').next().unwrap_or(path);
        let ext = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        self.kinds.iter().find(|k| k.matches(path, base, ext.as_deref()))
    }
}

impl FileKind {
    /// Whether a file at `path`, named `base`, with the lower-cased extension `ext`, is of this
    /// kind.
    fn matches(&self, path: &str, base: &str, ext: Option<&str>) -> bool {
        let by_name = self.names.iter().any(|n| glob(n, base));
        let by_ext = ext.is_some_and(|e| self.extensions.contains(&e));
        let any_type = self.names.is_empty() && self.extensions.is_empty();
        let typed = any_type || by_name || by_ext;
        typed && (self.under.is_empty() || self.under.iter().any(|dir| under(path, dir)))
    }
}

/// Whether `path` starts with `dir`, or holds it right after a `/`.
fn under(path: &str, dir: &str) -> bool {
    path.starts_with(dir) || path.match_indices(dir).any(|(at, _)| at > 0 && path.as_bytes()[at - 1] == b'/')
}

/// `aws.access-key-id` → `AWS_ACCESS_KEY_ID`.
pub fn env_name(rule_id: &str) -> String {
    rule_id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn glob(pattern: &str, name: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('*') {
        name.ends_with(suffix) && name.len() > suffix.len()
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        name.starts_with(prefix) && name.len() > prefix.len()
    } else {
        name == pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(path: &str) -> String {
        Advice::load().for_path(path).map(|k| k.label.to_string()).unwrap_or_default()
    }

    #[test]
    fn the_table_ends_with_a_catch_all() {
        let advice = Advice::load();
        let last = advice.kinds.last().expect("entries");
        assert!(last.names.is_empty() && last.extensions.is_empty() && last.under.is_empty());
    }

    #[test]
    fn file_types_get_their_own_reference() {
        assert_eq!(label("src/app.py"), "Python");
        assert_eq!(label("web/index.ts"), "JavaScript/TypeScript");
        assert_eq!(label("cmd/main.go"), "Go");
        assert_eq!(label("src/main.rs"), "Rust");
        assert_eq!(label(".github/workflows/ci.yml"), "GitHub Actions workflow");
        assert_eq!(label("config/app.yml"), "YAML configuration");
        assert_eq!(label(".env"), "dotenv file");
        assert_eq!(label("services/api/.env.production"), "dotenv file");
        assert_eq!(label("Dockerfile"), "Dockerfile");
        assert_eq!(label("infra/main.tf"), "Terraform");
        assert_eq!(label("deploy.sh"), "shell script");
        assert_eq!(label("notes.txt"), "file");
        let advice = Advice::load();
        let py = advice.for_path("a.py").expect("python");
        assert_eq!(advice.reference(py, "aws.access-key-id"), "os.environ[\"AWS_ACCESS_KEY_ID\"]");
        assert_eq!(advice.reference(py, "generic.assignment"), "os.environ[\"YOUR_SECRET_NAME\"]");
        let ci = advice.for_path(".github/workflows/x.yaml").expect("ci");
        assert_eq!(advice.reference(ci, "github.pat-classic"), "${{ secrets.GITHUB_TOKEN }}");
        assert!(advice.for_path("config/.env").expect("dotenv").keep_out);
    }

    /// A kind placed under a directory matches that directory at the root or deeper, not a
    /// directory whose name only ends the same way.
    #[test]
    fn placed_kinds_match_their_directory_anywhere() {
        assert_eq!(label("k8s/deploy.yaml"), label("apps/api/k8s/deploy.yaml"));
        assert_eq!(label("sub/.github/workflows/ci.yml"), "GitHub Actions workflow");
        assert_ne!(label("notk8s/deploy.yaml"), label("k8s/deploy.yaml"));
        assert_ne!(label("x.github/workflows/ci.yml"), "GitHub Actions workflow");
        assert!(under("a/k8s/b", "k8s/") && under("k8s/b", "k8s/") && !under("ak8s/b", "k8s/"));
    }
}
