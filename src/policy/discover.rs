//! Where layers come from, in precedence order, following the trust order of
//! CONVENTIONS §3.2: the system policy (`/etc/leakgate/policy.toml`) first; the user-level
//! organisation policy (`LEAKGATE_ORG_POLICY`, else the user config dir) only when there is no
//! system policy or it sets `allow-user-org-policy = true`; then the repository's
//! `.leakgate.toml`. Each file may `extends` another (a path relative to it, or a pinned git
//! source), which is applied before it with the same trust; cycles are errors naming the chain.
//!
//! Only files that exist are read: a repository without policy costs a few `stat` calls.

use std::path::{Path, PathBuf};

use super::error::PolicyError;
use super::file::{Extends, GitSource, PolicyFile};
use super::layer::LayerKind;
use super::remote::{self, Fetch, Loaded};
use crate::env::Env;

/// The root-owned system policy.
pub const SYSTEM_POLICY: &str =
    if cfg!(windows) { r"C:\ProgramData\leakgate\policy.toml" } else { "/etc/leakgate/policy.toml" };

/// The repository layer's file name, at the work-tree root.
pub const REPO_POLICY_FILE: &str = ".leakgate.toml";

/// One parsed policy file.
#[derive(Debug)]
pub struct LoadedFile {
    /// Its layer kind (an extended file takes the kind of the file that extends it).
    pub kind: LayerKind,
    /// Display name: the path, or `url@rev:path` for a git source.
    pub name: String,
    /// The text (for positions).
    pub text: String,
    /// The parsed content.
    pub file: PolicyFile,
}

/// What discovery found, in application order.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Files, lowest precedence first.
    pub files: Vec<LoadedFile>,
    /// Git sources and whether each came from the cache or was fetched now.
    pub git_sources: Vec<(String, Loaded)>,
    /// User-level organisation policies that exist but were not used (the system policy does
    /// not allow them), for `policy show`.
    pub ignored: Vec<String>,
    /// The repository's policy file, when there is one (it was loaded).
    pub repo_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
enum Location {
    Local(PathBuf),
    Git(GitSource),
}

impl Location {
    fn name(&self) -> String {
        match self {
            // Relative to the current directory (the work-tree root in hooks) when below it, so
            // messages read `.leakgate.toml:3:12: ...`.
            Location::Local(p) => {
                let cwd = std::env::current_dir().ok();
                let shown =
                    cwd.as_deref().and_then(|c| p.strip_prefix(c).ok()).filter(|r| !r.as_os_str().is_empty());
                shown.unwrap_or(p).display().to_string()
            }
            Location::Git(g) => format!("{}@{}:{}", g.git, g.rev, g.path),
        }
    }

    fn key(&self) -> String {
        match self {
            Location::Local(p) => {
                std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string()
            }
            Location::Git(_) => self.name(),
        }
    }
}

/// The user config dir's policy file.
pub fn user_policy_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "leakgate").map(|d| d.config_dir().join("policy.toml"))
}

/// The cache root: `LEAKGATE_CACHE_DIR`, else the user cache dir.
pub fn cache_root(env: &Env) -> Option<PathBuf> {
    env.cache_dir
        .clone()
        .or_else(|| directories::ProjectDirs::from("", "", "leakgate").map(|d| d.cache_dir().to_path_buf()))
}

/// Finds and parses every layer file.
///
/// # Errors
/// A file cannot be read or parsed, or an `extends` cannot be resolved.
pub fn discover(env: &Env, root: Option<&Path>, fetch: Fetch) -> Result<Discovered, PolicyError> {
    let system = Path::new(SYSTEM_POLICY);
    let system =
        if system.is_file() {
            Some(system.to_path_buf())
        } else {
            let gitconfig = if env.git_config_nosystem { None } else { system_gitconfig() };
            match system_git_config_policy(gitconfig.as_deref()) {
                Some(pointed) if !pointed.is_file() => return Err(PolicyError::file(
                    &pointed,
                    "leakgate.orgPolicy in the system git config names this file, which does not exist; ask \
                     whoever manages this machine's git config to fix it",
                )),
                pointed => pointed,
            }
        };
    discover_with_system(env, root, fetch, system.as_deref(), user_policy_path())
}

/// Where the system git config is, as libgit2 finds it: on Unix always `/etc/gitconfig` (its
/// `sysdir.c`), said here without initialising libgit2, which a hook run otherwise never needs.
fn system_gitconfig() -> Option<PathBuf> {
    if cfg!(unix) {
        Some(PathBuf::from("/etc/gitconfig"))
    } else {
        git2::Config::find_system().ok()
    }
}

/// `leakgate.orgPolicy` from the **system** git config only (`/etc/gitconfig`, which MDM already
/// manages; CONVENTIONS P14): never the global, local or worktree levels, which a developer or a
/// repository controls.
pub fn system_git_config_policy(gitconfig: Option<&Path>) -> Option<PathBuf> {
    let gitconfig = gitconfig.filter(|p| p.is_file())?;
    // Most system configs never mention leakgate: a look at the bytes spares every hook run
    // libgit2's parse of the file. Keys are case-blind, and an include can bring the key in.
    let text = std::fs::read(gitconfig).ok()?.to_ascii_lowercase();
    let mentions = |word: &[u8]| memchr::memmem::find(&text, word).is_some();
    if !mentions(b"orgpolicy") && !mentions(b"include") {
        return None;
    }
    let config = git2::Config::open(gitconfig).ok()?;
    config.get_path("leakgate.orgPolicy").ok()
}

/// [`discover`] with explicit system and user-config paths (tests never touch `/etc`); `system`
/// is `None` when the caller knows there is no system policy.
///
/// # Errors
/// As [`discover`].
pub fn discover_with_system(
    env: &Env,
    root: Option<&Path>,
    fetch: Fetch,
    system: Option<&Path>,
    user: Option<PathBuf>,
) -> Result<Discovered, PolicyError> {
    let mut ctx = Ctx::new(env, fetch);
    let mut user_allowed = true;
    let system = system.filter(|s| s.is_file());
    if let Some(system) = system {
        let first = ctx.out.files.len();
        ctx.load(LayerKind::System, Location::Local(system.to_path_buf()), None)?;
        user_allowed = ctx.out.files[first..]
            .iter()
            .rev()
            .find(|f| f.name == system.display().to_string())
            .and_then(|f| f.file.allow_user_org_policy.as_ref())
            .is_some_and(|v| *v.get_ref());
    }
    if let (false, Some(system)) = (user_allowed, system) {
        let candidates = env.org_policy.iter().cloned().chain(user.filter(|p| p.is_file()));
        for path in candidates {
            ctx.out.ignored.push(format!(
                "{}: not used, because {} exists and does not set allow-user-org-policy = true",
                path.display(),
                system.display()
            ));
        }
    } else {
        if let Some(path) = &env.org_policy {
            if path.exists() && !path.is_file() {
                return Err(PolicyError::file(
                    path,
                    "LEAKGATE_ORG_POLICY names this path, which is not a file; fix the variable or unset it",
                ));
            }
            if !path.is_file() {
                return Err(PolicyError::file(
                    path,
                    "LEAKGATE_ORG_POLICY names this file, which does not exist; fix the variable or unset it",
                ));
            }
            ctx.load(LayerKind::Org, Location::Local(path.clone()), None)?;
        } else if let Some(path) = user.filter(|p| p.is_file()) {
            ctx.load(LayerKind::Org, Location::Local(path), None)?;
        }
    }
    if let Some(root) = root {
        let path = root.join(REPO_POLICY_FILE);
        // Anything by that name counts: a directory or a dangling link is an error, not "no policy".
        if path.symlink_metadata().is_ok() {
            ctx.repo_root = Some(root.to_path_buf());
            ctx.load(LayerKind::Repo, Location::Local(path.clone()), None)?;
            ctx.out.repo_file = Some(path);
        }
    }
    for (i, setting) in env.cli_config.iter().enumerate() {
        let name = format!("--config #{}", i + 1);
        let file = PolicyFile::parse(Path::new(&name), setting).map_err(|e| PolicyError {
            message: format!("{} (write TOML: --config 'min-severity-to-block = \"low\"')", e.message),
            ..e
        })?;
        if file.extends.is_some() {
            return Err(PolicyError::file(&name, "extends is not allowed on the command line"));
        }
        ctx.out.files.push(LoadedFile { kind: LayerKind::Cli, name, text: setting.clone(), file });
    }
    Ok(ctx.out)
}

/// Parses one file that is not part of discovery (`policy check` of a named file, tests).
///
/// # Errors
/// As [`discover`].
pub fn load_file(env: &Env, kind: LayerKind, path: &Path, fetch: Fetch) -> Result<Discovered, PolicyError> {
    let mut ctx = Ctx::new(env, fetch);
    ctx.load(kind, Location::Local(path.to_path_buf()), None)?;
    Ok(ctx.out)
}

struct Ctx {
    cache: Option<PathBuf>,
    fetch: Fetch,
    out: Discovered,
    /// The chain of files being loaded (for cycle messages).
    stack: Vec<(String, String)>,
    /// The work-tree root: files of the repository layer must stay inside it.
    repo_root: Option<PathBuf>,
}

/// Where an `extends` was declared: file name, text and the span of the value.
type Declared<'a> = (&'a str, &'a str, std::ops::Range<usize>);

impl Ctx {
    fn new(env: &Env, fetch: Fetch) -> Ctx {
        Ctx { cache: cache_root(env), fetch, out: Discovered::default(), stack: Vec::new(), repo_root: None }
    }

    fn load(
        &mut self,
        kind: LayerKind,
        at: Location,
        declared: Option<Declared<'_>>,
    ) -> Result<(), PolicyError> {
        let key = at.key();
        let name = at.name();
        let fail = |message: String| match &declared {
            Some((file, text, span)) => PolicyError::at(file, text, span, message),
            None => PolicyError::file(&name, message),
        };
        if self.stack.iter().any(|(k, _)| *k == key) {
            let mut chain: Vec<&str> = self.stack.iter().map(|(_, n)| n.as_str()).collect();
            chain.push(&name);
            return Err(fail(format!(
                "`extends` forms a cycle: {}; remove one of these extends",
                chain.join(" -> ")
            )));
        }
        if let (Location::Local(path), LayerKind::Repo, Some(root)) = (&at, kind, &self.repo_root) {
            // A repository's policy is content anyone can commit: it may not read files
            // outside the repository (`../..`, absolute paths, symlinks pointing out).
            if let Err(problem) = super::confine(root, path) {
                return Err(fail(problem));
            }
        }
        if let Location::Local(path) = &at {
            if path.is_dir() {
                return Err(fail(format!("{} is a directory, not a policy file", path.display())));
            }
        }
        let text = match &at {
            Location::Local(path) => std::fs::read_to_string(path).map_err(|e| {
                fail(if declared.is_some() {
                    format!(
                        "extends {}, which cannot be read ({e}); fix the path (it is relative to this file)",
                        path.display()
                    )
                } else {
                    format!("cannot read the policy file: {e}")
                })
            })?,
            Location::Git(src) => {
                let (text, loaded) = remote::load(src, self.cache.as_deref(), self.fetch).map_err(&fail)?;
                self.out.git_sources.push((name.clone(), loaded));
                text
            }
        };
        let file = PolicyFile::parse(Path::new(&name), &text)?;
        self.stack.push((key, name.clone()));
        if let Some(extends) = &file.extends {
            let next = match (extends.get_ref(), &at) {
                (Extends::Git(src), _) => Location::Git(src.clone()),
                (Extends::Path(rel), Location::Local(path)) => {
                    let base = path.parent().unwrap_or(Path::new("."));
                    Location::Local(base.join(rel))
                }
                (Extends::Path(rel), Location::Git(src)) => {
                    let base = Path::new(&src.path).parent().unwrap_or(Path::new(""));
                    let joined = normalize(&base.join(rel));
                    Location::Git(GitSource { path: joined, ..src.clone() })
                }
            };
            let saved = self.fetch;
            if saved == Fetch::OnMiss && file.fetch_on_miss.as_ref().is_some_and(|v| !*v.get_ref()) {
                self.fetch = Fetch::Never;
            }
            let loaded = self.load(kind, next, Some((&name, &text, extends.span())));
            self.fetch = saved;
            loaded?;
        }
        self.stack.pop();
        self.out.files.push(LoadedFile { kind, name, text, file });
        Ok(())
    }
}

/// `a/./b/../c` → `a/c`, with forward slashes (paths inside a git tree).
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn names(found: &Discovered) -> Vec<(LayerKind, String)> {
        found
            .files
            .iter()
            .map(|f| (f.kind, Path::new(&f.name).file_name().unwrap().to_string_lossy().into_owned()))
            .collect()
    }

    /// CONVENTIONS §3.2: the user-level organisation sources count only when there is no system
    /// policy, or the system policy allows them; the system policy always comes first.
    #[test]
    fn trust_order_of_organisation_sources() {
        let tmp = tempfile::tempdir().unwrap();
        let system = tmp.path().join("system.toml");
        let user = tmp.path().join("user.toml");
        let env_file = tmp.path().join("env.toml");
        std::fs::write(&user, "").unwrap();
        std::fs::write(&env_file, "").unwrap();
        let env = Env { org_policy: Some(env_file.clone()), ..Env::default() };
        let no_env = Env::default();
        let run = |env: &Env| {
            names(&discover_with_system(env, None, Fetch::Never, Some(&system), Some(user.clone())).unwrap())
        };

        // No system policy: the variable wins over the user config dir.
        assert_eq!(run(&env), vec![(LayerKind::Org, "env.toml".to_string())]);
        assert_eq!(run(&no_env), vec![(LayerKind::Org, "user.toml".to_string())]);

        // A system policy shadows both...
        std::fs::write(&system, "min-severity-to-block = \"high\"\n").unwrap();
        assert_eq!(run(&env), vec![(LayerKind::System, "system.toml".to_string())]);
        assert_eq!(run(&no_env), vec![(LayerKind::System, "system.toml".to_string())]);
        let found =
            discover_with_system(&env, None, Fetch::Never, Some(&system), Some(user.clone())).unwrap();
        assert_eq!(found.ignored.len(), 2, "{:?}", found.ignored);
        assert!(found.ignored[0].contains("env.toml: not used"), "{:?}", found.ignored);

        // ...unless it allows user-level organisation policies, which then come after it.
        std::fs::write(&system, "allow-user-org-policy = true\n").unwrap();
        assert_eq!(
            run(&env),
            vec![(LayerKind::System, "system.toml".to_string()), (LayerKind::Org, "env.toml".to_string())]
        );
    }

    #[test]
    fn the_system_git_config_can_point_at_the_policy() {
        let tmp = tempfile::tempdir().unwrap();
        let gitconfig = tmp.path().join("gitconfig");
        assert_eq!(system_git_config_policy(Some(&gitconfig)), None);
        std::fs::write(&gitconfig, "[core]\n\tautocrlf = false\n").unwrap();
        assert_eq!(system_git_config_policy(Some(&gitconfig)), None);
        std::fs::write(&gitconfig, "[leakgate]\n\torgPolicy = /srv/policy/leakgate.toml\n").unwrap();
        assert_eq!(
            system_git_config_policy(Some(&gitconfig)),
            Some(PathBuf::from("/srv/policy/leakgate.toml"))
        );
        // Keys are case-blind, and an included file can hold the key.
        std::fs::write(&gitconfig, "[LeakGate]\n\tORGPOLICY = /srv/upper.toml\n").unwrap();
        assert_eq!(system_git_config_policy(Some(&gitconfig)), Some(PathBuf::from("/srv/upper.toml")));
        let included = tmp.path().join("included");
        std::fs::write(&included, "[leakgate]\n\torgPolicy = /srv/included.toml\n").unwrap();
        std::fs::write(&gitconfig, format!("[include]\n\tpath = {}\n", included.display())).unwrap();
        assert_eq!(system_git_config_policy(Some(&gitconfig)), Some(PathBuf::from("/srv/included.toml")));
    }

    #[test]
    fn a_user_org_layer_cannot_weaken_the_system_floor() {
        let tmp = tempfile::tempdir().unwrap();
        let system = tmp.path().join("system.toml");
        let env_file = tmp.path().join("env.toml");
        std::fs::write(&system, "allow-user-org-policy = true\nmin-severity-to-block = \"high\"\n").unwrap();
        std::fs::write(&env_file, "min-severity-to-block = \"critical\"\n").unwrap();
        let env = Env { org_policy: Some(env_file), ..Env::default() };
        let found = discover_with_system(&env, None, Fetch::Never, Some(&system), None).unwrap();
        let policy = super::super::merge::merge(&found.files).unwrap();
        assert_eq!(policy.block_severity, crate::rules::Severity::High);
        assert_eq!(policy.violations.len(), 1);
    }

    #[test]
    fn a_user_org_layer_cannot_open_exceptions_to_system_enforced_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let system = tmp.path().join("system.toml");
        let env_file = tmp.path().join("env.toml");
        std::fs::write(&system, "allow-user-org-policy = true\n[enforce]\nrules = [\"aws.*\"]\n").unwrap();
        std::fs::write(&env_file, "[enforce]\nrules = [\"github.*\"]\nexceptions = [\"inline\"]\n").unwrap();
        let env = Env { org_policy: Some(env_file), ..Env::default() };
        let found = discover_with_system(&env, None, Fetch::Never, Some(&system), None).unwrap();
        let policy = super::super::merge::merge(&found.files).unwrap();
        let inline = super::super::ExceptionKind::Inline;
        assert!(!policy.exception_allowed(crate::rules::builtin("aws.access-key-id").unwrap(), inline));
        assert!(policy.exception_allowed(crate::rules::builtin("github.pat-classic").unwrap(), inline));
        assert!(
            policy.exception_allowed(crate::rules::builtin("slack.bot-token").unwrap(), inline),
            "not enforced at all"
        );
    }

    #[test]
    fn allow_user_org_policy_outside_the_system_file_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let env_file = tmp.path().join("env.toml");
        std::fs::write(&env_file, "allow-user-org-policy = true\n").unwrap();
        let env = Env { org_policy: Some(env_file), ..Env::default() };
        let found =
            discover_with_system(&env, None, Fetch::Never, Some(&tmp.path().join("none")), None).unwrap();
        let err = super::super::merge::merge(&found.files).unwrap_err();
        assert!(err.to_string().contains("env.toml:1:25"), "{err}");
    }
}
