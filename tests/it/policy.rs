//! Policy layers, enforcement, exceptions and the `policy`/`baseline` commands, through the real
//! binary and real git. Fake secrets are generated at run time.

use std::path::Path;

use crate::harness::{Fakes, Run, TestRepo};

const ENFORCE_AWS: &str = "[enforce]\nrules = [\"aws.*\"]\n";

/// A repository with one clean commit, the hook installed, and `org` as the organisation policy
/// (through `LEAKGATE_ORG_POLICY`).
fn repo_with_org(org: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n");
    repo.add(&["README.md"]);
    repo.commit_unchecked("initial");
    let path = repo.outside("org-policy.toml");
    std::fs::write(&path, org).expect("org policy");
    repo.set_env("LEAKGATE_ORG_POLICY", &path);
    repo.install_hook();
    repo
}

fn stage(repo: &TestRepo, path: &str, content: &str) {
    repo.write(path, content);
    repo.add(&[path]);
}

/// Stages `config/app.ini` with an AWS key id on line 2 (plus `suffix` on that line).
fn stage_key(repo: &TestRepo, seed: u64, suffix: &str) -> String {
    let key = Fakes::new(seed).aws_key_id();
    stage(repo, "config/app.ini", &format!("[aws]\naws_access_key_id = {key}{suffix}\n"));
    key
}

/// The fingerprint the report shows for the staged finding.
fn fingerprint(repo: &TestRepo) -> String {
    let run = repo.leakgate(&["pre-commit"]);
    let at = run.stderr.find("lg1:").unwrap_or_else(|| panic!("no fingerprint in: {}", run.stderr));
    run.stderr[at..at + 20].to_string()
}

fn assert_blocks_naming(run: &Run, key: &str, setting: &str) {
    assert_ne!(run.code, 0, "the commit went through: {}", run.stderr);
    assert!(
        run.stderr.contains("aws.access-key-id") || run.stderr.contains("aws.secret-access-key"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("enforced by organisation policy"), "no enforcement named: {}", run.stderr);
    assert!(
        run.stderr.contains("org-policy.toml") || run.stderr.contains("policy-src@"),
        "the org file is not named: {}",
        run.stderr
    );
    assert!(run.stderr.contains(setting), "the weakening setting {setting:?} is not named: {}", run.stderr);
    run.assert_no_leak(key);
}

/// One way a repository could try to weaken a rule: with the rule enforced, the commit is still
/// blocked and the message names both sides; without enforcement, the weakening works.
fn weakening(repo_toml: &str, suffix: &str, setting: &str, extra: impl Fn(&TestRepo)) {
    for enforced in [true, false] {
        let org = if enforced {
            format!("allow-bypass = true\n{ENFORCE_AWS}")
        } else {
            "allow-bypass = true\n".to_string()
        };
        let repo = repo_with_org(&org);
        if !repo_toml.is_empty() {
            stage(&repo, ".leakgate.toml", repo_toml);
        }
        let key = stage_key(&repo, 11, suffix);
        extra(&repo);
        let run = repo.commit(&["-m", "try"]);
        if enforced {
            assert_blocks_naming(&run, &key, setting);
        } else {
            assert_eq!(
                run.code, 0,
                "{setting}: without enforcement the exception should work: {}",
                run.stderr
            );
            run.assert_no_leak(&key);
        }
    }
}

#[test]
fn enforced_rule_cannot_be_disabled() {
    weakening("[rules]\ndisable = [\"aws.*\", \"generic.*\"]\n", "", "rules.disable", |_| {});
}

#[test]
fn enforced_rule_cannot_be_downgraded() {
    weakening("[rules.severity]\n\"aws.access-key-id\" = \"low\"\n", "", "rules.severity", |_| {});
}

#[test]
fn enforced_rule_cannot_be_path_allowlisted() {
    weakening("[[allow]]\npaths = [\"config/**\"]\nreason = \"fixtures\"\n", "", "[[allow]] paths", |_| {});
}

#[test]
fn enforced_rule_cannot_be_secret_regex_allowlisted() {
    weakening("[[allow]]\nsecrets = [\"^A\"]\n", "", "[[allow]] secrets", |_| {});
}

#[test]
fn enforced_rule_cannot_be_line_regex_allowlisted() {
    weakening("[[allow]]\nlines = [\"aws_access_key_id\"]\n", "", "[[allow]] lines", |_| {});
}

#[test]
fn enforced_rule_cannot_be_stopword_allowlisted() {
    weakening("[[allow]]\nrules = [\"aws.*\"]\nstopwords = [\"a\"]\n", "", "[[allow]] rules", |_| {});
}

#[test]
fn enforced_rule_cannot_be_ignored_inline() {
    weakening("", "  # leakgate:allow reason=\"fixture\"", "`leakgate:allow`", |_| {});
}

#[test]
fn enforced_rule_cannot_be_ignored_by_the_ignore_file() {
    weakening("", "", ".leakgate-ignore:2", |repo| {
        let fp = fingerprint(repo);
        stage(repo, ".leakgate-ignore", &format!("\n[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"old\"\n"));
    });
}

#[test]
fn enforced_rule_cannot_be_bypassed() {
    weakening("", "", "LEAKGATE_BYPASS does not apply", |repo| repo.set_env("LEAKGATE_BYPASS", "hotfix"));
}

#[test]
fn enforced_rule_entropy_cannot_be_raised() {
    for enforced in [true, false] {
        let repo = repo_with_org(if enforced { ENFORCE_AWS } else { "" });
        stage(
            &repo,
            ".leakgate.toml",
            "[rules]\ndisable = [\"generic.*\"]\n[rules.entropy]\n\"aws.secret-access-key\" = 6.0\n",
        );
        let secret = Fakes::new(5).aws_secret();
        stage(&repo, "deploy.env", &format!("aws_secret_access_key = {secret}\n"));
        let run = repo.commit(&["-m", "try"]);
        if enforced {
            assert_blocks_naming(&run, &secret, "rules.entropy");
        } else {
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
    }
}

#[test]
fn repository_cannot_raise_the_org_block_threshold_but_can_lower_it() {
    let repo = repo_with_org("min-severity-to-block = \"high\"\n");
    stage(&repo, ".leakgate.toml", "min-severity-to-block = \"critical\"\n");
    let key = stage_key(&repo, 3, "");
    let run = repo.commit(&["-m", "try"]);
    assert_ne!(run.code, 0, "a high finding passed although the org blocks high: {}", run.stderr);
    assert!(
        run.stderr.contains("repository policy .leakgate.toml:1:25 `min-severity-to-block` tried to set"),
        "{}",
        run.stderr
    );
    run.assert_no_leak(&key);
    let check = repo.leakgate(&["policy", "check"]);
    assert_eq!(check.code, 2, "{}", check.all());
    assert!(check.stderr.contains(".leakgate.toml:1:25"), "{}", check.stderr);
    assert!(check.stderr.contains("min-severity-to-block"), "{}", check.stderr);

    std::fs::write(repo.path(".leakgate.toml"), "min-severity-to-block = \"low\"\n").expect("write");
    let show = repo.leakgate(&["policy", "show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    let line = show.stdout.lines().find(|l| l.starts_with("min-severity-to-block")).expect("shown");
    assert!(line.contains("\"low\"") && line.contains("repository policy"), "{line}");
    assert!(line.contains("organisation floor \"high\""), "{line}");
}

#[test]
fn layers_apply_in_order_and_show_names_the_layer() {
    let repo = repo_with_org("max-file-bytes = 2000000\nmax-push-commits = 500\n");
    repo.write(".leakgate.toml", "max-file-bytes = 3000000\n[rules]\ndisable = [\"generic.*\"]\n");
    let show = repo.leakgate(&["policy", "show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    let get = |key: &str| show.stdout.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    assert!(get("max-file-bytes").contains("3000000") && get("max-file-bytes").contains("repository policy"));
    assert!(
        get("max-push-commits").contains("500") && get("max-push-commits").contains("organisation policy")
    );
    assert!(get("inline-ignores").contains("built-in default"));
    assert!(
        show.stdout.contains("generic.assignment")
            && show.stdout.contains("disabled  # by repository policy")
    );
}

#[test]
fn user_config_dir_policy_is_the_org_layer_without_the_variable() {
    let repo = repo_with_org("");
    repo.unset_env("LEAKGATE_ORG_POLICY");
    let dir = repo.home().join(".config/leakgate");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("policy.toml"), ENFORCE_AWS).expect("write");
    let show = repo.leakgate(&["policy", "show"]);
    assert!(
        show.stdout.contains("organisation: ") && show.stdout.contains(".config/leakgate/policy.toml"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("ENFORCED"), "{}", show.stdout);
}

#[test]
fn extends_by_path_is_relative_to_the_declaring_file() {
    let repo = repo_with_org("");
    repo.write("policy/team.toml", "extends = \"base.toml\"\nmax-push-commits = 7\n");
    repo.write("policy/base.toml", "max-push-commits = 9\nmax-file-bytes = 1234\n");
    repo.write(".leakgate.toml", "extends = \"policy/team.toml\"\n");
    let show = repo.leakgate(&["policy", "show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("max-push-commits         = 7"), "{}", show.stdout);
    assert!(show.stdout.contains("max-file-bytes           = 1234"), "{}", show.stdout);
}

#[test]
fn extends_cycle_is_an_error_naming_the_chain() {
    let repo = repo_with_org("");
    repo.write(".leakgate.toml", "extends = \"a.toml\"\n");
    repo.write("a.toml", "extends = \"b.toml\"\n");
    repo.write("b.toml", "extends = \"a.toml\"\n");
    let run = repo.leakgate(&["policy", "check"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("cycle"), "{}", run.stderr);
    assert!(run.stderr.contains("a.toml -> ") && run.stderr.contains("b.toml -> "), "{}", run.stderr);
    assert!(run.stderr.contains("b.toml:1:11"), "{}", run.stderr);
    stage_key(&repo, 1, "");
    assert_eq!(repo.leakgate(&["pre-commit"]).code, 2);
}

/// Every kind of bad policy file: exit 2 with file:line:column and a sentence.
#[test]
fn bad_policy_files_are_reported_with_their_position() {
    let cases: &[(&str, &str, &str)] = &[
        ("min-severity-to-block = \"high\"\n[rules\n", ".leakgate.toml:2:", "unclosed table"),
        ("max-file-bytes = 10\nmin-severty-to-block = \"high\"\n", ".leakgate.toml:2:1", "unknown field"),
        ("max-file-bytes = \"big\"\n", ".leakgate.toml:1:18", "invalid type"),
        ("min-severity-to-block = \"urgent\"\n", ".leakgate.toml:1:25", "not a severity"),
        ("[[allow]]\nsecrets = [\"(unclosed\"]\n", ".leakgate.toml:2:12", "does not compile"),
        ("[[allow]]\npaths = [\"a/[b\"]\n", ".leakgate.toml:2:10", "invalid path glob"),
        ("[rules]\ndisable = [\"nosuch.rule\"]\n", ".leakgate.toml:2:12", "not a rule"),
        (
            "[[rule]]\nid = \"acme.token\"\nname = \"A\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_[a-z]{8}'\n\
             [[rule]]\nid = \"acme.token\"\nname = \"B\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_[a-z]{9}'\n",
            ".leakgate.toml:7:1",
            "duplicate rule id",
        ),
        ("[[rule]]\nid = \"acme.token\"\nname = \"A\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = 'acme_(['\n", ".leakgate.toml:1:1", "does not compile"),
        (
            "[[allow]]\nlines = [\"\\\\p{Greek}\"]\n",
            ".leakgate.toml:2:10",
            "leakgate patterns are ASCII",
        ),
        ("extends = \"missing/base.toml\"\n", ".leakgate.toml:1:11", "cannot be read"),
        ("extends = { git = \"file:///nonexistent\", rev = \"v1.0\" }\n", ".leakgate.toml:1:11", "not a full commit id"),
        ("[enforce]\nrules = [\"aws.*\"]\n", ".leakgate.toml:1:1", "only an organisation policy"),
    ];
    let repo = repo_with_org("");
    repo.write(
        ".leakgate-ignore",
        "[[ignore]]\nfingerprint = \"lg1:00\"\nowner = \"a\"\nexpiry = 2026-01-01\n",
    );
    let run = repo.leakgate(&["policy", "check"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(".leakgate-ignore:4:1") && run.stderr.contains("unknown field"),
        "{}",
        run.stderr
    );
    for (text, place, words) in cases {
        let repo = repo_with_org("");
        repo.write(".leakgate.toml", text);
        let run = repo.leakgate(&["policy", "check"]);
        assert_eq!(run.code, 2, "{text:?}: {}", run.all());
        assert!(run.stderr.contains(place), "{text:?}: expected {place:?} in {}", run.stderr);
        assert!(run.stderr.contains(words), "{text:?}: expected {words:?} in {}", run.stderr);
    }
}

#[test]
fn a_bad_org_policy_blocks_the_commit_with_exit_2() {
    let repo = repo_with_org("enforce = 3\n");
    stage(&repo, "a.txt", "hello\n");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("org-policy.toml:1:11"), "{}", run.stderr);
    assert!(run.stderr.contains("blocked to be safe"), "{}", run.stderr);
}

#[test]
fn custom_rules_use_the_builtin_shape() {
    let repo = repo_with_org("");
    let rule = "[[rule]]\nid = \"acme.token\"\nname = \"ACME token\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\n\
                regex = '''\\b(acme_[a-z0-9]{24})\\b'''\nremediation = { revoke = \"Revoke it in the ACME console.\" }\n";
    stage(&repo, ".leakgate.toml", rule);
    let token = format!("acme_{}", "k3j5h2g6f8d9s0a1q2w3e4r5");
    stage(&repo, "app.py", &format!("TOKEN = \"{token}\"\n"));
    let run = repo.commit(&["-m", "acme"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("acme.token"), "{}", run.stderr);
    assert!(run.stderr.contains("Revoke it in the ACME console"), "{}", run.stderr);
    run.assert_no_leak(&token);
    let explain = repo.leakgate(&["policy", "explain", "acme.token"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(explain.stdout.contains("defined by:  repository policy"), "{}", explain.stdout);
}

#[test]
fn explain_names_where_tuning_and_allowlists_come_from() {
    let repo = repo_with_org(&format!(
        "[[allow]]\npaths = [\"vendor/**\"]\nreason = \"third party\"\n{ENFORCE_AWS}"
    ));
    repo.write(
        ".leakgate.toml",
        "[rules.severity]\n\"github.*\" = \"medium\"\n[[allow]]\nrules = [\"aws.*\"]\npaths = [\"x/**\"]\n",
    );
    let aws = repo.leakgate(&["policy", "explain", "aws.access-key-id"]);
    assert_eq!(aws.code, 0, "{}", aws.stderr);
    assert!(aws.stdout.contains("enforced:    yes, by organisation policy"), "{}", aws.stdout);
    assert!(aws.stdout.contains("vendor/**"), "{}", aws.stdout);
    assert!(aws.stdout.contains("(not applied: the rule is enforced)"), "{}", aws.stdout);
    assert!(aws.stdout.contains("examples"), "{}", aws.stdout);
    let gh = repo.leakgate(&["policy", "explain", "github.pat-classic"]);
    assert!(gh.stdout.contains("severity:    medium  # repository policy"), "{}", gh.stdout);
    assert_eq!(repo.leakgate(&["policy", "explain", "nope.rule"]).code, 2);
}

#[test]
fn org_allowlists_apply_to_enforced_rules() {
    let repo = repo_with_org(&format!(
        "[[allow]]\npaths = [\"vendor/**\"]\nreason = \"third party\"\n{ENFORCE_AWS}"
    ));
    let key = Fakes::new(8).aws_key_id();
    stage(&repo, "vendor/lib/conf.ini", &format!("aws_access_key_id = {key}\n"));
    let run = repo.commit(&["-m", "vendor"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn inline_ignore_with_and_without_reason() {
    let repo = repo_with_org("");
    stage_key(&repo, 21, "  # leakgate:allow reason=\"documented test key\"");
    let run = repo.commit(&["-m", "with reason"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("this commit adds 1 exception:"), "{}", run.stderr);
    assert!(run.stderr.contains("documented test key"), "{}", run.stderr);

    let key = Fakes::new(22).aws_key_id();
    stage(&repo, "b.ini", &format!("aws_access_key_id = {key}  # leakgate:allow\n"));
    let run = repo.commit(&["-m", "without reason"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no reason given"), "{}", run.stderr);

    // The organisation requires a reason: the marker without one no longer suppresses.
    let strict = repo_with_org("require-reason = true\n");
    let key = Fakes::new(23).aws_key_id();
    stage(&strict, "c.ini", &format!("aws_access_key_id = {key}  # leakgate:allow\n"));
    let run = strict.commit(&["-m", "no reason"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("require-reason"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn allow_next_line_and_foreign_markers() {
    let repo = repo_with_org("");
    let mut fakes = Fakes::new(31);
    let (a, b) = (fakes.aws_key_id(), fakes.aws_key_id());
    stage(
        &repo,
        "a.json.txt",
        &format!(
            "// leakgate:allow-next-line reason=\"fixture\"\nkey_id = {a}\nother = {b}  # gitleaks:allow\n"
        ),
    );
    let run = repo.commit(&["-m", "markers"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("this commit adds 2 exceptions"), "{}", run.stderr);

    let off = repo_with_org("foreign-markers = false\n");
    stage(&off, "b.txt", &format!("other = {b}  # pragma: allowlist secret\n"));
    let run = off.commit(&["-m", "foreign"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("other scanners' markers are switched off"), "{}", run.stderr);

    let none = repo_with_org("inline-ignores = false\n");
    stage(&none, "c.txt", &format!("x = {a}  # leakgate:allow reason=\"x\"\n"));
    stage(&none, ".leakgate.toml", "inline-ignores = true\n");
    let run = none.commit(&["-m", "inline off"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("inline ignores are switched off"), "{}", run.stderr);
}

#[test]
fn ignore_file_entries_expire() {
    let repo = repo_with_org("");
    stage_key(&repo, 41, "");
    let fp = fingerprint(&repo);
    repo.write(
        ".leakgate-ignore",
        format!("[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"legacy\"\nowner = \"team-a\"\nexpires = 2099-12-31\n"),
    );
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 0, "a valid entry should suppress: {}", run.stderr);

    repo.write(
        ".leakgate-ignore",
        format!("[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"legacy\"\nowner = \"team-a\"\nexpires = 2020-01-01\n"),
    );
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 1, "an expired entry still suppressed: {}", run.stderr);
    assert!(
        run.stderr.contains(".leakgate-ignore:1") && run.stderr.contains("expired on 2020-01-01"),
        "{}",
        run.stderr
    );
}

#[test]
fn ignore_file_requirements_from_the_org() {
    let repo = repo_with_org("require-owner = true\nmax-ignore-days = 30\n");
    stage_key(&repo, 42, "");
    let fp = fingerprint(&repo);
    repo.write(
        ".leakgate-ignore",
        format!("[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"legacy\"\nexpires = 2099-12-31\n"),
    );
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no owner"), "{}", run.stderr);
    repo.write(
        ".leakgate-ignore",
        format!("[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"legacy\"\nowner = \"sec\"\nexpires = 2099-12-31\n"),
    );
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("30 days"), "{}", run.stderr);

    let off = repo_with_org("ignore-file = false\n");
    stage_key(&off, 43, "");
    let fp = fingerprint(&off);
    off.write(".leakgate-ignore", format!("[[ignore]]\nfingerprint = \"{fp}\"\nreason = \"x\"\n"));
    let run = off.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("ignore file is switched off"), "{}", run.stderr);
}

#[test]
fn staged_exceptions_are_announced() {
    let repo = repo_with_org("");
    stage(
        &repo,
        ".leakgate.toml",
        "[[allow]]\npaths = [\"fixtures/**\"]\nreason = \"test data\"\n[rules.severity]\n\"generic.*\" = \"low\"\n",
    );
    stage(
        &repo,
        ".leakgate-ignore",
        "[[ignore]]\nfingerprint = \"lg1:0011223344556677\"\nreason = \"old\"\n",
    );
    let run = repo.commit(&["-m", "exceptions"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("this commit adds 3 exceptions:"), "{}", run.stderr);
    assert!(run.stderr.contains("sets the severity of \"generic.*\" to \"low\""), "{}", run.stderr);
    assert!(run.stderr.contains("new [[allow]] paths = [\"fixtures/**\"]"), "{}", run.stderr);
    assert!(run.stderr.contains("ignores lg1:0011223344556677"), "{}", run.stderr);
    // Unchanged exceptions are not announced again.
    stage(&repo, "README.md", "# app 2\n");
    let run = repo.commit(&["-m", "readme"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "{}", run.stderr);
}

#[test]
fn bypass_needs_the_policy_and_is_loud() {
    let repo = repo_with_org("");
    let key = stage_key(&repo, 51, "");
    repo.set_env("LEAKGATE_BYPASS", "incident 42 hotfix");
    let run = repo.commit(&["-m", "bypass refused"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("bypasses are not allowed"), "{}", run.stderr);

    let allowed = repo_with_org("allow-bypass = true\n");
    stage(&allowed, "config/app.ini", &format!("aws_access_key_id = {key}\n"));
    allowed.set_env("LEAKGATE_BYPASS", "incident 42 hotfix");
    let data = allowed.outside("data");
    allowed.set_env("LEAKGATE_DATA_DIR", &data);
    let run = allowed.commit(&["-m", "bypass"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("BYPASS") && run.stderr.contains("incident 42 hotfix"), "{}", run.stderr);
    run.assert_no_leak(&key);
    let log = std::fs::read_to_string(data.join("audit.jsonl")).expect("the bypass was recorded");
    assert!(log.contains("\"event\":\"bypassed\"") && log.contains("incident 42 hotfix"), "{log}");
    assert!(!log.contains(&key), "the audit log holds the value");
}

#[test]
fn an_inline_allowance_is_recorded_in_the_audit_log() {
    let repo = repo_with_org("");
    let data = repo.outside("data");
    repo.set_env("LEAKGATE_DATA_DIR", &data);
    let key = Fakes::new(58).aws_key_id();
    stage(&repo, "tests/fixture.ini", &format!("id = {key} # leakgate:allow reason=\"test fixture\"\n"));
    let run = repo.commit(&["-m", "fixture"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = std::fs::read_to_string(data.join("audit.jsonl")).expect("the allowance was recorded");
    assert!(log.contains("\"event\":\"allowed-inline\""), "{log}");
    assert!(log.contains("test fixture"), "{log}");
    assert!(!log.contains(&key), "the audit log holds the value");
}

#[test]
fn baseline_then_a_new_secret_still_blocks() {
    let repo = repo_with_org("");
    let mut fakes = Fakes::new(61);
    let (old, new) = (fakes.aws_key_id(), fakes.github_token());
    repo.commit_file("legacy/settings.ini", &format!("aws_access_key_id = {old}\n"), "legacy");
    let run = repo.leakgate(&["baseline", "--owner", "platform"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let text = std::fs::read_to_string(repo.path(".leakgate-ignore")).expect("written");
    assert!(
        text.contains("path = \"legacy/settings.ini\"") && text.contains("owner = \"platform\""),
        "{text}"
    );
    assert!(!text.contains(&old), "the ignore file holds the secret");
    repo.add(&[".leakgate-ignore"]);
    let run = repo.commit(&["-m", "baseline"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("this commit adds 1 exception"), "{}", run.stderr);

    // The accepted secret moving within its file keeps its fingerprint: still allowed.
    stage(&repo, "legacy/settings.ini", &format!("[a]\nx = 1\naws_access_key_id = {old}\n"));
    let run = repo.commit(&["-m", "move"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    stage(&repo, "deploy.sh", &format!("export GITHUB_TOKEN={new}\n"));
    let run = repo.commit(&["-m", "new secret"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("github.pat-classic"), "{}", run.stderr);
    run.assert_no_leak(&new);

    let history = repo.leakgate(&["baseline", "--history"]);
    assert_eq!(history.code, 0, "{}", history.all());
    assert!(history.stderr.contains("0 new entries"), "{}", history.stderr);
}

/// A policy repository (plain git, local) with `policy.toml` committed; returns (url, rev).
fn policy_repo(repo: &TestRepo, name: &str, content: &str) -> (String, String) {
    let dir = repo.outside(name);
    std::fs::create_dir_all(&dir).expect("dir");
    let git = |args: &[&str]| {
        let out = repo.command("git").current_dir(&dir).args(args).output().expect("git");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("policy.toml"), content).expect("write");
    git(&["add", "policy.toml"]);
    git(&["-c", "user.email=a@b.invalid", "-c", "user.name=a", "commit", "-q", "-m", "policy"]);
    git(&["tag", "v1"]);
    (format!("file://{}", dir.display()), git(&["rev-parse", "HEAD"]))
}

fn git_extends(url: &str, rev: &str) -> String {
    format!("extends = {{ git = \"{url}\", rev = \"{rev}\", path = \"policy.toml\" }}\n")
}

#[test]
fn extends_a_pinned_git_policy_fetch_and_offline() {
    let repo = repo_with_org("");
    let (url, rev) = policy_repo(&repo, "policy-src", ENFORCE_AWS);
    std::fs::write(repo.outside("org-policy.toml"), git_extends(&url, &rev)).expect("write");
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));

    let check = repo.leakgate(&["policy", "check"]);
    assert_eq!(check.code, 2, "check must not fetch: {}", check.all());
    assert!(check.stderr.contains("leakgate policy update"), "{}", check.stderr);

    let update = repo.leakgate(&["policy", "update"]);
    assert_eq!(update.code, 0, "{}", update.all());
    assert!(update.stdout.contains("fetched"), "{}", update.stdout);
    assert!(repo.leakgate(&["policy", "update"]).stdout.contains("already cached"));

    std::fs::remove_dir_all(repo.outside("policy-src")).expect("delete the source");
    stage(&repo, ".leakgate.toml", "[rules]\ndisable = [\"aws.*\"]\n");
    let key = stage_key(&repo, 71, "");
    let run = repo.commit(&["-m", "offline"]);
    assert_blocks_naming(&run, &key, "rules.disable");
    assert!(run.stderr.contains(&format!("{url}@{rev}:policy.toml")), "{}", run.stderr);
}

#[test]
fn the_hook_fetches_once_on_a_cache_miss() {
    let repo = repo_with_org("");
    let (url, rev) = policy_repo(&repo, "policy-src", ENFORCE_AWS);
    std::fs::write(repo.outside("org-policy.toml"), git_extends(&url, &rev)).expect("write");
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));
    let key = stage_key(&repo, 72, "  # leakgate:allow");
    let run = repo.commit(&["-m", "miss"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("enforced by organisation policy"), "{}", run.stderr);
    run.assert_no_leak(&key);
}

#[test]
fn unreachable_git_policy_without_cache_blocks_with_advice() {
    let repo = repo_with_org("");
    let (url, rev) = policy_repo(&repo, "policy-src", ENFORCE_AWS);
    std::fs::remove_dir_all(repo.outside("policy-src")).expect("delete");
    std::fs::write(repo.outside("org-policy.toml"), git_extends(&url, &rev)).expect("write");
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));
    stage(&repo, "a.txt", "hello\n");
    let run = repo.commit(&["-m", "unreachable"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    let direct = repo.leakgate(&["pre-commit"]);
    assert_eq!(direct.code, 2, "{}", direct.stderr);
    assert!(
        direct.stderr.contains("not available offline") && direct.stderr.contains("leakgate policy update"),
        "{}",
        direct.stderr
    );
}

#[test]
fn git_policy_pin_mismatch_and_tag_names_are_rejected() {
    let repo = repo_with_org("");
    let (url, _rev) = policy_repo(&repo, "policy-src", ENFORCE_AWS);
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));
    let org = repo.outside("org-policy.toml");
    std::fs::write(&org, git_extends(&url, &"ab".repeat(20))).expect("write");
    let run = repo.leakgate(&["policy", "update"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("pin mismatch"), "{}", run.stderr);
    assert!(run.stderr.contains("org-policy.toml:1:11"), "{}", run.stderr);

    std::fs::write(&org, git_extends(&url, "v1")).expect("write");
    let run = repo.leakgate(&["policy", "update"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("not a full commit id"), "{}", run.stderr);
}

#[test]
fn git_policy_extends_cycle_is_detected() {
    let repo = repo_with_org("");
    // policy.toml in the source extends a sibling that extends policy.toml again.
    let (url, _) = policy_repo(&repo, "policy-src", "extends = \"other.toml\"\n");
    let dir = repo.outside("policy-src");
    std::fs::write(dir.join("other.toml"), "extends = \"policy.toml\"\n").expect("write");
    let git = |args: &[&str]| {
        let out = repo.command("git").current_dir(&dir).args(args).output().expect("git");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["add", "other.toml"]);
    git(&["-c", "user.email=a@b.invalid", "-c", "user.name=a", "commit", "-q", "-m", "other"]);
    let rev = git(&["rev-parse", "HEAD"]);
    std::fs::write(repo.outside("org-policy.toml"), git_extends(&url, &rev)).expect("write");
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));
    let run = repo.leakgate(&["policy", "update"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("cycle") && run.stderr.contains("other.toml -> "), "{}", run.stderr);
}

#[test]
fn the_clean_path_stays_silent_with_a_policy() {
    let repo = repo_with_org(ENFORCE_AWS);
    repo.write(".leakgate.toml", "[[allow]]\npaths = [\"docs/**\"]\n");
    repo.add(&[".leakgate.toml"]);
    repo.commit_unchecked("policy");
    stage(&repo, "src/main.py", "print('hi')\n");
    let run = repo.commit(&["-m", "clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(Path::new(&repo.path(".leakgate.toml")).exists());
}

#[test]
fn command_line_config_is_the_last_layer_and_cannot_weaken_the_org() {
    let repo = repo_with_org("");
    let key = stage_key(&repo, 81, "");
    let lenient = repo.leakgate(&["--config", "min-severity-to-block = \"critical\"", "pre-commit"]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    lenient.assert_no_leak(&key);
    let show = repo.leakgate(&["--config", "max-push-commits = 3", "policy", "show"]);
    assert!(show.stdout.contains("command line --config #1 `max-push-commits`"), "{}", show.stdout);
    let bad = repo.leakgate(&["--config", "min-severity = 1", "policy", "check"]);
    assert_eq!(bad.code, 2, "{}", bad.all());
    assert!(bad.stderr.contains("--config #1:1:1") && bad.stderr.contains("unknown field"), "{}", bad.stderr);

    let enforced = repo_with_org(&format!("min-severity-to-block = \"high\"\n{ENFORCE_AWS}"));
    stage_key(&enforced, 82, "");
    for flag in ["min-severity-to-block = \"critical\"", "rules.disable = [\"aws.*\"]"] {
        let run = enforced.leakgate(&["--config", flag, "pre-commit"]);
        assert_eq!(run.code, 1, "{flag}: {}", run.stderr);
    }
    let run = enforced.leakgate(&["--config", "rules.disable = [\"aws.*\"]", "pre-commit"]);
    assert!(run.stderr.contains("command line --config #1"), "{}", run.stderr);
}

#[test]
fn git_policy_sha256_pin_is_checked() {
    use sha2::{Digest, Sha256};
    let repo = repo_with_org("");
    let (url, rev) = policy_repo(&repo, "policy-src", ENFORCE_AWS);
    repo.set_env("LEAKGATE_CACHE_DIR", repo.outside("cache"));
    let good: String = Sha256::digest(ENFORCE_AWS.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let pinned = |digest: &str| {
        format!("extends = {{ git = \"{url}\", rev = \"{rev}\", path = \"policy.toml\", sha256 = \"{digest}\" }}\n")
    };
    std::fs::write(repo.outside("org-policy.toml"), pinned(&"0".repeat(64))).expect("write");
    let run = repo.leakgate(&["policy", "update"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("digest mismatch"), "{}", run.stderr);
    std::fs::write(repo.outside("org-policy.toml"), pinned(&good)).expect("write");
    let run = repo.leakgate(&["policy", "update"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn the_org_can_keep_chosen_exceptions_for_enforced_rules() {
    let repo = repo_with_org(&format!("{ENFORCE_AWS}exceptions = [\"inline\"]\n"));
    stage_key(&repo, 91, "  # leakgate:allow reason=\"vendored test vector\"");
    let run = repo.commit(&["-m", "inline on enforced"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    stage(&repo, ".leakgate.toml", "[[allow]]\npaths = [\"other/**\"]\n");
    let key = Fakes::new(92).aws_key_id();
    stage(&repo, "other/x.ini", &format!("aws_access_key_id = {key}\n"));
    let run = repo.commit(&["-m", "allowlist on enforced"]);
    assert_blocks_naming(&run, &key, "[[allow]] paths");
}

#[test]
fn pre_push_applies_exceptions_and_enforcement() {
    let repo = TestRepo::new();
    repo.add_bare_remote();
    repo.commit_file("README.md", "# app\n", "initial");
    repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
    let org = repo.outside("org-policy.toml");
    std::fs::write(&org, "").expect("org");
    repo.set_env("LEAKGATE_ORG_POLICY", &org);
    assert_eq!(repo.leakgate(&["install", "--pre-push"]).code, 0);

    let key = Fakes::new(95).aws_key_id();
    repo.commit_file(
        "conf.ini",
        &format!("aws_access_key_id = {key}  # leakgate:allow reason=\"doc\"\n"),
        "marked",
    );
    let run = repo.push(&["origin", "main"]);
    assert_eq!(run.code, 0, "an allowed secret blocked the push: {}", run.stderr);

    std::fs::write(&org, ENFORCE_AWS).expect("org");
    let other = Fakes::new(96).aws_key_id();
    repo.commit_file(
        "conf2.ini",
        &format!("aws_access_key_id = {other}  # leakgate:allow reason=\"doc\"\n"),
        "marked 2",
    );
    let run = repo.push(&["origin", "main"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("enforced by organisation policy"), "{}", run.stderr);
    run.assert_no_leak(&other);
}

/// The policy commands never print or store a secret value (STYLE §8 habit 4).
#[test]
fn no_policy_command_or_file_reveals_a_secret() {
    let repo = repo_with_org(&format!("allow-bypass = true\n{ENFORCE_AWS}"));
    let mut fakes = Fakes::new(101);
    let (canary, token) = (fakes.aws_key_id(), fakes.github_token());
    repo.commit_file("old.ini", &format!("aws_access_key_id = {canary}\ntoken = {token}\n"), "old");
    let mut outputs = vec![
        repo.leakgate(&["baseline", "--owner", "sec"]),
        repo.leakgate(&["baseline", "--history", "--owner", "sec"]),
        repo.leakgate(&["policy", "show"]),
        repo.leakgate(&["policy", "check"]),
        repo.leakgate(&["policy", "explain", "aws.access-key-id"]),
        repo.leakgate(&["-v", "scan", "."]),
    ];
    stage(&repo, "new.ini", &format!("again = {token}\nkey = {canary}  # leakgate:allow\n"));
    repo.set_env("LEAKGATE_BYPASS", "canary test");
    outputs.push(repo.leakgate(&["-v", "pre-commit"]));
    for run in &outputs {
        run.assert_no_leak(&canary);
        run.assert_no_leak(&token);
    }
    let ignore = std::fs::read_to_string(repo.path(".leakgate-ignore")).expect("baseline wrote it");
    assert!(!ignore.contains(&canary) && !ignore.contains(&token), "the ignore file holds a secret");
}

#[test]
fn on_violation_error_stops_hooks_until_the_weakening_is_removed() {
    let repo = repo_with_org(&format!("{ENFORCE_AWS}on-violation = \"error\"\n"));
    repo.write(".leakgate.toml", "[rules]\ndisable = [\"aws.*\"]\n");
    stage(&repo, "a.txt", "hello\n");
    let run = repo.leakgate(&["pre-commit"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(".leakgate.toml:2:12") && run.stderr.contains("on-violation"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.leakgate(&["policy", "show"]).code, 0, "show must still explain the policy");
    std::fs::remove_file(repo.path(".leakgate.toml")).expect("remove");
    assert_eq!(repo.leakgate(&["pre-commit"]).code, 0);
}
