//! One snapshot of the environment variables leakgate reads, taken once at start-up and passed
//! down, so that nothing deep in the library reads the environment behind the caller's back.

use std::ffi::OsString;
use std::path::PathBuf;

/// The variables leakgate reads.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `GIT_INDEX_FILE`: the index git is committing (set for commit hooks).
    pub git_index_file: Option<OsString>,
    /// `NO_COLOR` (non-empty disables colour).
    pub no_color: bool,
    /// `CLICOLOR_FORCE` (set and not `0` forces colour).
    pub clicolor_force: bool,
    /// `CLICOLOR=0` disables colour.
    pub clicolor_off: bool,
    /// `TERM` is unset or `dumb`.
    pub dumb_term: bool,
    /// `LEAKGATE_DATA_DIR`: where the audit log lives, instead of the platform data dir
    /// (`ProjectDirs::data_dir()`, e.g. `~/.local/share/leakgate`). Used as is (no `leakgate`
    /// component is appended).
    pub leakgate_data_dir: Option<PathBuf>,
    /// The pre-commit framework's pre-push variables (it consumes git's stdin itself).
    pub pre_commit_push: PreCommitPush,
    /// `LEAKGATE_ORG_POLICY`: the user-level organisation policy file (honoured only when there
    /// is no system policy, or it allows user-level ones).
    pub org_policy: Option<PathBuf>,
    /// `LEAKGATE_CACHE_DIR`: where pinned git policies are cached (default: the user cache dir).
    pub cache_dir: Option<PathBuf>,
    /// `LEAKGATE_BYPASS`: the reason for letting one commit through (if the policy allows it).
    pub bypass: Option<String>,
    /// `GIT_CONFIG_NOSYSTEM` is set (not `0`/`false`): like git, do not read the system git config
    /// (its `leakgate.orgPolicy` pointer); `/etc/leakgate/policy.toml` is still read.
    pub git_config_nosystem: bool,
    /// `GIT_DIR`, `GIT_WORK_TREE`, `GIT_COMMON_DIR`, `GIT_OBJECT_DIRECTORY`,
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES` or `GIT_NAMESPACE` is set: the repository is not simply
    /// the work tree's `.git` (libgit2 reads these variables itself; see [`crate::git::Repo`]).
    pub git_relocated: bool,
    /// Not a variable: the `--config` policy settings of this run, carried with the snapshot so
    /// that `policy::resolve` sees every input in one place.
    pub cli_config: Vec<String>,
}

/// `PRE_COMMIT_FROM_REF`, `PRE_COMMIT_TO_REF`, `PRE_COMMIT_REMOTE_NAME`,
/// `PRE_COMMIT_LOCAL_BRANCH`, as the pre-commit framework sets them for pre-push hooks.
#[derive(Debug, Clone, Default)]
pub struct PreCommitPush {
    /// What the remote has (absent for a new branch).
    pub from_ref: Option<String>,
    /// What is being pushed.
    pub to_ref: Option<String>,
    /// The remote's name.
    pub remote_name: Option<String>,
    /// The local branch being pushed (set even in the framework's "all files" mode).
    pub local_branch: Option<String>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var_os(k);
        let text = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let set_and_not = |k: &str, v: &str| var(k).is_some_and(|x| !x.is_empty() && x != v);
        Env {
            git_index_file: var("GIT_INDEX_FILE").filter(|v| !v.is_empty()),
            no_color: var("NO_COLOR").is_some_and(|v| !v.is_empty()),
            clicolor_force: set_and_not("CLICOLOR_FORCE", "0"),
            clicolor_off: var("CLICOLOR").is_some_and(|v| v == "0"),
            dumb_term: var("TERM").is_none_or(|t| t == "dumb"),
            leakgate_data_dir: var("LEAKGATE_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from),
            pre_commit_push: PreCommitPush {
                from_ref: text("PRE_COMMIT_FROM_REF"),
                to_ref: text("PRE_COMMIT_TO_REF"),
                remote_name: text("PRE_COMMIT_REMOTE_NAME"),
                local_branch: text("PRE_COMMIT_LOCAL_BRANCH"),
            },
            org_policy: var("LEAKGATE_ORG_POLICY").filter(|v| !v.is_empty()).map(PathBuf::from),
            cache_dir: var("LEAKGATE_CACHE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from),
            bypass: text("LEAKGATE_BYPASS").filter(|v| !v.trim().is_empty()),
            git_config_nosystem: var("GIT_CONFIG_NOSYSTEM")
                .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")),
            git_relocated: [
                "GIT_DIR",
                "GIT_WORK_TREE",
                "GIT_COMMON_DIR",
                "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                "GIT_NAMESPACE",
            ]
            .iter()
            .any(|k| var(k).is_some()),
            cli_config: Vec::new(),
        }
    }
}
