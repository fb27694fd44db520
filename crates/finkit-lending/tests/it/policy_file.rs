//! Policy files with errors give typed errors naming the line.

use finkit_lending::{LendingError, LendingPolicy};

const HEADER: &str = "[policy]\nid = \"p\"\nversion = \"1\"\n\n";

fn load(rules: &str) -> Result<LendingPolicy, LendingError> {
    LendingPolicy::from_toml_str(&format!("{HEADER}{rules}"), "test.toml")
}

#[test]
fn unknown_field_names_field_and_line() {
    let rules = "[[rules]]\nid = \"A\"\nkind = \"max_pd\"\nseverity = \"refer\"\nthreshold = 0.1\nthreshhold = 0.2\nmessage = \"x\"\n";
    match load(rules) {
        Err(LendingError::PolicyUnknownField { line, field, .. }) => {
            assert_eq!(field, "threshhold");
            assert_eq!(line, 10);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_header_field() {
    let text = "[policy]\nid = \"p\"\nversion = \"1\"\nowner = \"me\"\n";
    assert!(matches!(
        LendingPolicy::from_toml_str(text, "h.toml"),
        Err(LendingError::PolicyUnknownField { line: 4, ref field, .. }) if field == "owner"
    ));
}

#[test]
fn bad_thresholds_name_rule_and_line() {
    for (kind, value, line) in [
        ("max_pd", "1.5", 9),
        ("max_pd", "-0.1", 9),
        ("max_leverage", "0", 9),
        ("min_years_in_business", "2.5", 9),
        ("stale_statements", "0", 9),
        ("officer_authority", "-100", 9),
    ] {
        let rules = format!(
            "[[rules]]\nid = \"R\"\nkind = \"{kind}\"\nseverity = \"decline\"\nthreshold = {value}\nmessage = \"m\"\n"
        );
        match load(&rules) {
            Err(e @ LendingError::PolicyBadThreshold { .. }) => {
                let LendingError::PolicyBadThreshold { line: l, ref rule, .. } = e else {
                    unreachable!()
                };
                assert_eq!((l, rule.as_str()), (line, "R"), "{kind} {value}: {e}");
                assert!(
                    e.to_string().starts_with(&format!("test.toml: line {line}: rule \"R\"")),
                    "{e}"
                );
            }
            other => panic!("{kind} {value}: {other:?}"),
        }
    }
}

#[test]
fn missing_or_superfluous_threshold() {
    let missing =
        "[[rules]]\nid = \"R\"\nkind = \"max_pd\"\nseverity = \"refer\"\nmessage = \"m\"\n";
    assert!(matches!(load(missing), Err(LendingError::PolicyBadThreshold { line: 6, .. })));
    let extra = "[[rules]]\nid = \"R\"\nkind = \"watch_list\"\nseverity = \"refer\"\nthreshold = 1\nmessage = \"m\"\n";
    assert!(matches!(load(extra), Err(LendingError::PolicyBadThreshold { line: 9, .. })));
}

#[test]
fn duplicate_rule_id_names_both_lines() {
    let rule =
        "[[rules]]\nid = \"DUP\"\nkind = \"watch_list\"\nseverity = \"refer\"\nmessage = \"m\"\n\n";
    match load(&format!("{rule}{rule}")) {
        Err(LendingError::PolicyDuplicateRule { line, first_line, id, .. }) => {
            assert_eq!((line, first_line, id.as_str()), (12, 6, "DUP"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn syntax_and_type_errors_name_the_line() {
    let bad_kind =
        "[[rules]]\nid = \"R\"\nkind = \"max_wealth\"\nseverity = \"refer\"\nmessage = \"m\"\n";
    assert!(matches!(load(bad_kind), Err(LendingError::PolicySyntax { line: 7, .. })));
    let not_toml = "[[rules]\nid = ";
    assert!(matches!(load(not_toml), Err(LendingError::PolicySyntax { line: 5, .. })));
    let text_threshold = "[[rules]]\nid = \"R\"\nkind = \"max_pd\"\nseverity = \"refer\"\nthreshold = \"high\"\nmessage = \"m\"\n";
    assert!(matches!(load(text_threshold), Err(LendingError::PolicySyntax { line: 9, .. })));
}

#[test]
fn bad_placeholder_and_empty_policy() {
    let rules = "[[rules]]\nid = \"R\"\nkind = \"watch_list\"\nseverity = \"refer\"\nmessage = \"see {vaule}\"\n";
    assert!(matches!(load(rules), Err(LendingError::PolicyInvalid { line: 9, .. })));
    assert!(matches!(load(""), Err(LendingError::PolicyInvalid { .. })));
}

#[test]
fn missing_file_is_an_io_error() {
    let err = LendingPolicy::from_file("/nonexistent/policy.toml").unwrap_err();
    assert!(matches!(err, LendingError::PolicyIo { .. }));
    assert!(err.to_string().starts_with("/nonexistent/policy.toml: "));
}

#[test]
fn shipped_default_file_loads_from_disk() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy/default.toml");
    let p = LendingPolicy::from_file(path).unwrap();
    assert_eq!(p, LendingPolicy::default_policy().unwrap());
    assert_eq!(p.rules().len(), 12);
}
