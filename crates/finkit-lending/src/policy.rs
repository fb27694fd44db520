//! Knock-out and referral rules read from a TOML policy file, validated when loaded.
//!
//! A policy file has a `[policy]` header (id, version, description) and a list of `[[rules]]`.
//! Each rule has an `id` (unique), a `kind`, a `severity` (`decline` or `refer`), a `message`
//! (a sentence a credit officer and the applicant can read; `{value}` and `{threshold}` are
//! filled in) and, depending on the kind, a `threshold` or a list of `sectors`:
//!
//! | kind | fires when | threshold |
//! |---|---|---|
//! | `min_years_in_business` | whole years since founding < threshold | integer in [0, 100] |
//! | `max_leverage` | total liabilities / total assets > threshold | (0, 10] |
//! | `negative_equity` | book equity < 0 | none |
//! | `missing_statements` | no statement available on the application date | none |
//! | `stale_statements` | days from the period end to the application > threshold | integer in [1, 3650] |
//! | `watch_list` | the firm is on the watch list | none |
//! | `closed_sector` | the industry code starts with one of `sectors` | none (`sectors` required) |
//! | `officer_authority` | requested amount > threshold (application currency) | (0, ∞) |
//! | `max_pd` | the model's PD > threshold | (0, 1) |
//! | `amount_above_limit` | requested amount > the sized limit | none |
//!
//! Errors name the file and the 1-based line: TOML syntax, an unknown field, a bad or missing
//! threshold, a duplicate id, an unknown placeholder in a message.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::LendingError;

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The application is sent to a credit officer.
    Refer,
    /// The application is declined (a knock-out).
    Decline,
}

/// The condition a rule checks; see the [module docs](self) for each kind's semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleKind {
    /// Whole years in business below the threshold.
    MinYearsInBusiness,
    /// Total liabilities / total assets above the threshold.
    MaxLeverage,
    /// Negative book equity.
    NegativeEquity,
    /// No statement available on the application date.
    MissingStatements,
    /// Latest statement older than the threshold in days.
    StaleStatements,
    /// The firm is on the watch list.
    WatchList,
    /// The firm's industry code starts with a closed sector's code.
    ClosedSector,
    /// Requested amount above the officer's approval authority.
    OfficerAuthority,
    /// PD above the threshold.
    MaxPd,
    /// Requested amount above the sized limit.
    AmountAboveLimit,
}

impl RuleKind {
    /// The kind's name as written in the policy file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::MinYearsInBusiness => "min_years_in_business",
            RuleKind::MaxLeverage => "max_leverage",
            RuleKind::NegativeEquity => "negative_equity",
            RuleKind::MissingStatements => "missing_statements",
            RuleKind::StaleStatements => "stale_statements",
            RuleKind::WatchList => "watch_list",
            RuleKind::ClosedSector => "closed_sector",
            RuleKind::OfficerAuthority => "officer_authority",
            RuleKind::MaxPd => "max_pd",
            RuleKind::AmountAboveLimit => "amount_above_limit",
        }
    }

    /// The allowed threshold range, `None` when the kind takes no threshold.
    fn threshold_rule(self) -> Option<(f64, f64, bool, &'static str)> {
        // (low, high, integer, description)
        match self {
            RuleKind::MinYearsInBusiness => {
                Some((0.0, 100.0, true, "must be an integer in [0, 100]"))
            }
            RuleKind::MaxLeverage => Some((f64::MIN_POSITIVE, 10.0, false, "must be in (0, 10]")),
            RuleKind::StaleStatements => {
                Some((1.0, 3650.0, true, "must be an integer number of days in [1, 3650]"))
            }
            RuleKind::OfficerAuthority => {
                Some((f64::MIN_POSITIVE, f64::MAX, false, "must be a positive finite amount"))
            }
            RuleKind::MaxPd => {
                Some((f64::MIN_POSITIVE, 1.0 - f64::EPSILON, false, "must be in (0, 1)"))
            }
            _ => None,
        }
    }
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rule {
    /// Unique id, quoted in every decision it affects.
    pub id: String,
    /// The condition checked.
    pub kind: RuleKind,
    /// Decline or refer.
    pub severity: Severity,
    /// The readable sentence, with `{value}` / `{threshold}` placeholders.
    pub message: String,
    /// The threshold, for kinds that take one.
    pub threshold: Option<f64>,
    /// Closed sector code prefixes (only for `closed_sector`).
    pub sectors: Vec<String>,
    /// The 1-based line of the rule's id in its file (0 for rules built in code).
    pub line: usize,
}

impl Rule {
    /// The message with `{value}` and `{threshold}` filled in.
    #[must_use]
    pub fn render(&self, value: &str) -> String {
        let threshold = self.threshold.map_or_else(String::new, |t| format_number(self.kind, t));
        self.message.replace("{value}", value).replace("{threshold}", &threshold)
    }
}

/// Formats a number the way messages show it for a rule kind (ratios and PDs as percentages).
pub(crate) fn format_number(kind: RuleKind, value: f64) -> String {
    match kind {
        RuleKind::MaxLeverage | RuleKind::MaxPd => format!("{:.2}%", value * 100.0),
        RuleKind::MinYearsInBusiness | RuleKind::StaleStatements => format!("{value:.0}"),
        _ => format!("{value:.2}"),
    }
}

/// A rule that fired, with the observed value (an index into [`LendingPolicy::rules`], no allocation).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PolicyHit {
    /// Index of the rule in [`LendingPolicy::rules`].
    pub rule: usize,
    /// What was observed (years, leverage, days, amount, PD, limit; 0 for flags).
    pub observed: f64,
}

/// The facts the rules are checked against, gathered by the decision engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts<'a> {
    /// Whole years in business on the application date.
    pub years_in_business: u32,
    /// Total liabilities / total assets of the latest statement.
    pub leverage: Option<f64>,
    /// Book equity of the latest statement (in single currency units).
    pub book_equity: Option<f64>,
    /// Days from the latest statement's period end to the application date; `None` when no
    /// statement was available.
    pub statement_age_days: Option<i64>,
    /// Whether the firm is on the watch list.
    pub on_watch_list: bool,
    /// The firm's industry code.
    pub industry_code: &'a str,
    /// Requested amount, in the application's currency.
    pub amount: f64,
    /// The model's probability of default.
    pub pd: f64,
    /// The sized limit.
    pub limit: f64,
}

/// A validated set of rules with its id and version.
///
/// ```
/// use finkit_lending::{LendingPolicy, Severity};
/// let policy = LendingPolicy::default_policy()?;
/// assert_eq!(policy.id(), "finkit-default");
/// assert!(policy.rules().iter().any(|r| r.severity == Severity::Decline));
///
/// let bad = "[policy]\nid = \"p\"\nversion = \"1\"\n\n[[rules]]\nid = \"A\"\nkind = \"max_pd\"\nseverity = \"refer\"\nthreshold = 1.5\nmessage = \"PD too high\"\n";
/// let err = LendingPolicy::from_toml_str(bad, "bad.toml").unwrap_err();
/// assert_eq!(err.to_string(), "bad.toml: line 9: rule \"A\": bad threshold 1.5: must be in (0, 1)");
/// # Ok::<(), finkit_lending::LendingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LendingPolicy {
    id: String,
    version: String,
    description: String,
    rules: Vec<Rule>,
}

/// The default policy file shipped in the crate (`policy/default.toml`).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../policy/default.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy: RawHeader,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    kind: Spanned<RuleKind>,
    severity: Severity,
    message: Spanned<String>,
    threshold: Option<Spanned<f64>>,
    sectors: Option<Spanned<Vec<String>>>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

fn span_line(text: &str, span: Range<usize>) -> usize {
    line_of(text, span.start)
}

impl LendingPolicy {
    /// Parses and validates a policy from TOML text; `file` names the source in errors.
    ///
    /// # Errors
    ///
    /// [`LendingError::PolicySyntax`], [`LendingError::PolicyUnknownField`],
    /// [`LendingError::PolicyBadThreshold`], [`LendingError::PolicyDuplicateRule`] or
    /// [`LendingError::PolicyInvalid`], each naming the line.
    pub fn from_toml_str(text: &str, file: &str) -> Result<LendingPolicy, LendingError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| span_line(text, s));
            let message = e.message().trim().to_owned();
            // serde's derive reports unknown fields only as text: "unknown field `x`, expected …".
            if let Some(rest) = message.strip_prefix("unknown field `")
                && let Some(end) = rest.find('`')
            {
                return LendingError::PolicyUnknownField {
                    file: file.to_owned(),
                    line,
                    field: rest[..end].to_owned(),
                };
            }
            LendingError::PolicySyntax { file: file.to_owned(), line, message }
        })?;
        let invalid = |span: Range<usize>, message: String| LendingError::PolicyInvalid {
            file: file.to_owned(),
            line: span_line(text, span),
            message,
        };
        for field in [&raw.policy.id, &raw.policy.version] {
            if field.get_ref().trim().is_empty() {
                return Err(invalid(
                    field.span(),
                    "policy id and version must not be empty".into(),
                ));
            }
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for r in raw.rules {
            let line = span_line(text, r.id.span());
            let id = r.id.into_inner();
            if id.trim().is_empty() {
                return Err(invalid(r.message.span(), "rule id must not be empty".into()));
            }
            if let Some(first) = rules.iter().find(|x| x.id == id) {
                return Err(LendingError::PolicyDuplicateRule {
                    file: file.to_owned(),
                    line,
                    id,
                    first_line: first.line,
                });
            }
            let kind = *r.kind.get_ref();
            let bad = |line: usize, value: String, reason: &str| LendingError::PolicyBadThreshold {
                file: file.to_owned(),
                line,
                rule: id.clone(),
                value,
                reason: reason.to_owned(),
            };
            let threshold = match (kind.threshold_rule(), r.threshold) {
                (Some((lo, hi, integer, reason)), Some(t)) => {
                    let tl = span_line(text, t.span());
                    let v = *t.get_ref();
                    if !v.is_finite() || v < lo || v > hi || (integer && v.fract() != 0.0) {
                        return Err(bad(tl, v.to_string(), reason));
                    }
                    Some(v)
                }
                (Some(_), None) => {
                    return Err(bad(
                        line,
                        "none".into(),
                        &format!("{} needs a threshold", kind.as_str()),
                    ));
                }
                (None, Some(t)) => {
                    let tl = span_line(text, t.span());
                    return Err(bad(
                        tl,
                        t.get_ref().to_string(),
                        &format!("{} takes no threshold", kind.as_str()),
                    ));
                }
                (None, None) => None,
            };
            let sectors = match (kind, r.sectors) {
                (RuleKind::ClosedSector, Some(s)) => {
                    let sl = span_line(text, s.span());
                    let list = s.into_inner();
                    if list.is_empty() || list.iter().any(|c| c.trim().is_empty()) {
                        return Err(bad(
                            sl,
                            format!("{list:?}"),
                            "sectors must be non-empty codes",
                        ));
                    }
                    list
                }
                (RuleKind::ClosedSector, None) => {
                    return Err(bad(line, "none".into(), "closed_sector needs a list of sectors"));
                }
                (_, Some(s)) => {
                    let sl = span_line(text, s.span());
                    return Err(bad(
                        sl,
                        format!("{:?}", s.get_ref()),
                        "only closed_sector takes sectors",
                    ));
                }
                (_, None) => Vec::new(),
            };
            let message = r.message.get_ref().trim().to_owned();
            if message.is_empty() {
                return Err(invalid(
                    r.message.span(),
                    format!("rule {id:?}: message must not be empty"),
                ));
            }
            if let Some(p) = unknown_placeholder(&message) {
                return Err(invalid(
                    r.message.span(),
                    format!(
                        "rule {id:?}: unknown placeholder {p:?} (use {{value}} or {{threshold}})"
                    ),
                ));
            }
            rules.push(Rule { id, kind, severity: r.severity, message, threshold, sectors, line });
        }
        if rules.is_empty() {
            return Err(LendingError::PolicyInvalid {
                file: file.to_owned(),
                line: 1,
                message: "the policy has no rules".into(),
            });
        }
        Ok(LendingPolicy {
            id: raw.policy.id.into_inner(),
            version: raw.policy.version.into_inner(),
            description: raw.policy.description,
            rules,
        })
    }

    /// Reads and validates a policy file.
    ///
    /// # Errors
    ///
    /// [`LendingError::PolicyIo`] when the file cannot be read, otherwise as
    /// [`LendingPolicy::from_toml_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<LendingPolicy, LendingError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        // Bounded (a policy is small; `/dev/zero` must not fill memory), BOM and CRLF normalised.
        let text = finkit_schema::limits::read_document(path)
            .map_err(|source| LendingError::PolicyIo { file: name.clone(), source })?;
        LendingPolicy::from_toml_str(&text, &name)
    }

    /// The default policy shipped in the crate ([`DEFAULT_POLICY_TOML`]).
    ///
    /// # Errors
    ///
    /// Never in a released crate (a unit test loads it); typed as fallible because it parses.
    pub fn default_policy() -> Result<LendingPolicy, LendingError> {
        LendingPolicy::from_toml_str(DEFAULT_POLICY_TOML, "policy/default.toml")
    }

    /// The policy's id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The rule-set version, recorded with every decision.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }
    /// The description.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The rules, in file order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Checks every rule against `facts`, appending the hits to `hits` (cleared first), in file
    /// order. Allocation-free once `hits` has capacity.
    pub fn evaluate(&self, facts: &Facts<'_>, hits: &mut Vec<PolicyHit>) {
        hits.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            let t = rule.threshold.unwrap_or(0.0);
            let observed = match rule.kind {
                RuleKind::MinYearsInBusiness => {
                    let y = f64::from(facts.years_in_business);
                    (y < t).then_some(y)
                }
                RuleKind::MaxLeverage => facts.leverage.filter(|&l| l > t),
                RuleKind::NegativeEquity => facts.book_equity.filter(|&e| e < 0.0),
                RuleKind::MissingStatements => facts.statement_age_days.is_none().then_some(0.0),
                #[allow(clippy::cast_precision_loss, reason = "day counts are far below 2^52")]
                RuleKind::StaleStatements => {
                    facts.statement_age_days.map(|d| d as f64).filter(|&d| d > t)
                }
                RuleKind::WatchList => facts.on_watch_list.then_some(1.0),
                RuleKind::ClosedSector => rule
                    .sectors
                    .iter()
                    .any(|s| facts.industry_code.starts_with(s.as_str()))
                    .then_some(0.0),
                RuleKind::OfficerAuthority => (facts.amount > t).then_some(facts.amount),
                RuleKind::MaxPd => (facts.pd > t).then_some(facts.pd),
                RuleKind::AmountAboveLimit => (facts.amount > facts.limit).then_some(facts.limit),
            };
            if let Some(observed) = observed {
                hits.push(PolicyHit { rule: i, observed });
            }
        }
    }

    /// The readable sentence of a hit; `industry_code` fills `{value}` of a closed-sector rule.
    #[must_use]
    pub fn describe(&self, hit: &PolicyHit, industry_code: &str) -> String {
        let Some(rule) = self.rules.get(hit.rule) else {
            return String::new();
        };
        let value = match rule.kind {
            RuleKind::ClosedSector => industry_code.to_owned(),
            RuleKind::WatchList | RuleKind::MissingStatements => String::new(),
            kind => format_number(kind, hit.observed),
        };
        rule.render(&value)
    }
}

/// The first `{…}` placeholder that is neither `{value}` nor `{threshold}`.
fn unknown_placeholder(message: &str) -> Option<String> {
    let mut rest = message;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        let end = tail.find('}').map_or(tail.len(), |e| e + 1);
        let p = &tail[..end];
        if p != "{value}" && p != "{threshold}" {
            return Some(p.to_owned());
        }
        rest = &tail[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts<'static> {
        Facts {
            years_in_business: 10,
            leverage: Some(0.5),
            book_equity: Some(100.0),
            statement_age_days: Some(120),
            on_watch_list: false,
            industry_code: "C26.1",
            amount: 1.0e6,
            pd: 0.01,
            limit: 2.0e6,
        }
    }

    #[test]
    fn default_policy_loads_and_a_clean_case_passes() {
        let p = LendingPolicy::default_policy().unwrap();
        assert_eq!(p.version(), "2025.1");
        let mut hits = Vec::new();
        p.evaluate(&facts(), &mut hits);
        assert!(hits.is_empty(), "{hits:?}");
    }

    #[test]
    fn each_kind_fires() {
        let p = LendingPolicy::default_policy().unwrap();
        let mut hits = Vec::new();
        let f = Facts {
            years_in_business: 1,
            leverage: Some(0.95),
            book_equity: Some(-5.0),
            statement_age_days: Some(900),
            on_watch_list: true,
            industry_code: "B05.1",
            amount: 9.0e6,
            pd: 0.3,
            limit: 1.0e6,
        };
        p.evaluate(&f, &mut hits);
        let ids: Vec<&str> = hits.iter().map(|h| p.rules()[h.rule].id.as_str()).collect();
        for id in [
            "KO-NEG-EQUITY",
            "KO-LEVERAGE",
            "KO-CLOSED-SECTOR",
            "KO-PD",
            "RF-YEARS",
            "RF-STALE",
            "RF-WATCH",
            "RF-AUTHORITY",
            "RF-PD",
            "RF-LEVERAGE",
            "RF-LIMIT",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        let years = hits.iter().find(|h| p.rules()[h.rule].id == "RF-YEARS").unwrap();
        assert!(p.describe(years, "B05.1").contains("for 1 years, fewer than the 2"));
        let sector = hits.iter().find(|h| p.rules()[h.rule].id == "KO-CLOSED-SECTOR").unwrap();
        assert!(p.describe(sector, "B05.1").contains("(B05.1)"));
    }

    #[test]
    fn placeholders_are_checked() {
        assert_eq!(unknown_placeholder("a {value} b {threshold}"), None);
        assert_eq!(unknown_placeholder("a {valeu}").as_deref(), Some("{valeu}"));
        assert_eq!(unknown_placeholder("a {open").as_deref(), Some("{open"));
    }

    #[test]
    fn line_numbers_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
