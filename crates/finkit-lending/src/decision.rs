//! The decision engine: application + firm + statements → features → PD → grade → rules →
//! price → limit → approve / refer / decline with reasons, a plan and an audit record.

use std::borrow::Cow;

use chrono::NaiveDate;
use finkit_credit::master_scale::MasterScale;
use finkit_schema::{FinancialStatement, Firm, Lgd, LoanApplication, Validate};
use rayon::prelude::*;

use crate::LendingError;
use crate::features::Features;
use crate::limits::{DebtCapacityInputs, Limit, LimitParams, size_limit};
use crate::model::{DefaultRatingModel, MarketData, RatingModel, ReasonCode};
use crate::plan::{FinancingPlan, PlanInputs, PlanParams, SectorPosition, plan};
use crate::policy::{Facts, LendingPolicy, PolicyHit, Severity};
use crate::pricing::{LoanPricer, PricingConfig, Quote};

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DecisionOutcome {
    /// Approved automatically.
    Approve,
    /// Sent to a credit officer.
    Refer,
    /// Declined.
    Decline,
}

/// Everything one decision reads, borrowed (nothing is copied).
#[derive(Debug, Clone, Copy)]
pub struct DecisionInput<'a> {
    /// The application.
    pub application: &'a LoanApplication,
    /// The applicant.
    pub firm: &'a Firm,
    /// The firm's statements (any versions; those known on the application date are used).
    pub statements: &'a [FinancialStatement],
    /// Market data when the firm is listed.
    pub market: Option<&'a MarketData>,
    /// Whether the firm is on the watch list.
    pub on_watch_list: bool,
    /// The loan book in the firm's sector, for concentration limits.
    pub sector: Option<SectorPosition>,
}

/// The numbers of a decision, computed without allocation (reasons stay in the [`Scratch`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DecisionCore {
    /// Approve, refer or decline.
    pub outcome: DecisionOutcome,
    /// The model's PD.
    pub pd: f64,
    /// Grade index on the engine's master scale (0 = best).
    pub grade: usize,
    /// Effective LGD after collateral and guarantees.
    pub lgd: f64,
    /// The price.
    pub quote: Quote,
    /// The sized limit.
    pub limit: Limit,
    /// Amount offered: `min(requested, limit)`, 0 when declined.
    pub offered_amount: f64,
    /// The features used.
    pub features: Features,
}

/// Reusable buffers of the allocation-free path ([`Engine::decide_core`]).
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// Policy rules that fired.
    pub hits: Vec<PolicyHit>,
    /// Scorecard reason codes.
    pub reasons: Vec<ReasonCode>,
}

/// One reason of a decision.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Reason {
    /// The policy rule id, or `SCORE:<characteristic>` for a scorecard reason code.
    pub code: String,
    /// The rule's severity (`None` for a scorecard reason).
    pub severity: Option<Severity>,
    /// The sentence.
    pub text: String,
}

/// What an auditor needs to reproduce a decision.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AuditRecord {
    /// The engine (crate) version.
    pub engine_version: String,
    /// The rating model's id and version.
    pub model_id: String,
    /// The policy's id.
    pub policy_id: String,
    /// The rule-set version.
    pub policy_version: String,
    /// The ids of the rules evaluated, in order.
    pub rules_evaluated: Vec<String>,
    /// The point-in-time date of the inputs (the application date).
    pub inputs_as_of: NaiveDate,
    /// Period end of the statement used.
    pub statement_period_end: Option<NaiveDate>,
    /// Availability date of the statement used.
    pub statement_available_at: Option<NaiveDate>,
    /// Whether market data fed the model.
    pub market_data_used: bool,
    /// The pricing configuration.
    pub pricing: PricingConfig,
    /// The limit parameters.
    pub limits: LimitParams,
}

/// A complete, explained decision.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Decision {
    /// The application id.
    pub application_id: String,
    /// The firm id.
    pub firm_id: String,
    /// The numbers.
    pub core: DecisionCore,
    /// The grade's label.
    pub grade: String,
    /// Policy reasons (declines first) then the scorecard's reason codes.
    pub reasons: Vec<Reason>,
    /// The financing plan, for technology-innovative firms.
    pub plan: Option<FinancingPlan>,
    /// The audit record.
    pub audit: AuditRecord,
}

impl Decision {
    /// The outcome.
    #[must_use]
    pub fn outcome(&self) -> DecisionOutcome {
        self.core.outcome
    }
}

/// The engine's configuration beside the policy and the model.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EngineConfig {
    /// Pricing.
    pub pricing: PricingConfig,
    /// Limit sizing.
    pub limits: LimitParams,
    /// Financing plans.
    pub plan: PlanParams,
    /// The master scale (`finkit_credit`'s; default [`MasterScale::default`]: 12 grades with
    /// documented bounds, lower-inclusive). The pool's synthetic book is graded on
    /// `finkit_pool::synthetic::SYNTHETIC_MASTER_SCALE` (10 grades, upper-inclusive); build that
    /// one with [`MasterScale::new`] to grade decisions on it.
    pub scale: MasterScale,
    /// Converts single units of the application currency into EUR millions for the Basel SME
    /// adjustment (default 1e-6: amounts are in EUR).
    pub sales_to_eur_millions: f64,
    /// Whether to plan financing for every firm (default: technology-innovative firms only).
    pub plan_for_all: bool,
}

impl EngineConfig {
    /// The default configuration (amounts in EUR).
    #[must_use]
    pub fn new() -> Self {
        EngineConfig { sales_to_eur_millions: 1e-6, ..EngineConfig::default() }
    }
}

/// The decision engine: a policy, a rating model and validated parameters.
///
/// ```
/// use finkit_lending::{Engine, LendingPolicy};
/// let engine = Engine::with_defaults(LendingPolicy::default_policy()?)?;
/// assert_eq!(engine.model_id(), "finkit-blend/1.1[finkit-expert-scorecard/1.0]");
/// # Ok::<(), finkit_lending::LendingError>(())
/// ```
#[derive(Debug)]
pub struct Engine<M = DefaultRatingModel> {
    policy: LendingPolicy,
    model: M,
    pricer: LoanPricer,
    config: EngineConfig,
}

impl Engine<DefaultRatingModel> {
    /// An engine with the default model and configuration.
    ///
    /// # Errors
    ///
    /// As [`Engine::new`].
    pub fn with_defaults(policy: LendingPolicy) -> Result<Self, LendingError> {
        Engine::new(policy, DefaultRatingModel::default(), EngineConfig::new())
    }
}

impl<M: RatingModel> Engine<M> {
    /// Validates the configuration and builds the engine.
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] or [`LendingError::Risk`] for a bad parameter.
    pub fn new(
        policy: LendingPolicy,
        model: M,
        config: EngineConfig,
    ) -> Result<Self, LendingError> {
        config.limits.validate()?;
        config.plan.validate()?;
        crate::error::check_range(
            "sales_to_eur_millions",
            config.sales_to_eur_millions,
            0.0,
            f64::MAX,
            "must be finite and >= 0",
        )?;
        let pricer = LoanPricer::new(config.pricing)?;
        Ok(Engine { policy, model, pricer, config })
    }

    /// The rating model's id.
    #[must_use]
    pub fn model_id(&self) -> &str {
        self.model.model_id()
    }
    /// The rating model.
    #[must_use]
    pub fn model(&self) -> &M {
        &self.model
    }
    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &LendingPolicy {
        &self.policy
    }
    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }
    /// The pricer.
    #[must_use]
    pub fn pricer(&self) -> &LoanPricer {
        &self.pricer
    }

    /// Decides without allocating once `scratch` has capacity: features, PD, grade, price,
    /// limit, rules and outcome. Reasons are left in `scratch`.
    ///
    /// # Errors
    ///
    /// [`LendingError::FirmMismatch`], [`LendingError::CurrencyMismatch`],
    /// [`LendingError::InvalidApplication`] (zero amount, guarantees above 100 %), or a model or
    /// pricing error.
    pub fn decide_core(
        &self,
        input: &DecisionInput<'_>,
        scratch: &mut Scratch,
    ) -> Result<DecisionCore, LendingError> {
        self.core(input, scratch, true)
    }

    /// [`Engine::decide_core`], with the model's reason codes only when `reasons` is set
    /// (the numbers are the same either way).
    fn core(
        &self,
        input: &DecisionInput<'_>,
        scratch: &mut Scratch,
        reasons: bool,
    ) -> Result<DecisionCore, LendingError> {
        let app = input.application;
        let violations = app.validate();
        if !violations.is_empty() {
            return Err(LendingError::InvalidApplication {
                id: app.id.to_string(),
                reason: violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            });
        }
        let features = Features::build(app, input.firm, input.statements)?;
        scratch.reasons.clear();
        let rated = if reasons {
            self.model.assess(&features, input.market, &mut scratch.reasons)?
        } else {
            self.model.pd(&features, input.market)?
        };
        let pd = rated.get();
        let grade = self.config.scale.grade_index(pd)?;
        let amount = app.amount.get();
        let tenor = app.tenor.get();
        let table = &self.config.limits.collateral;
        let lgd = table.effective_lgd(amount, &app.collateral, &app.guarantees);
        let fin = features.financials.unwrap_or_default();
        let sales =
            features.financials.map(|f| f.revenue.max(0.0) * self.config.sales_to_eur_millions);
        let quote = self.pricer.quote(rated, Lgd::new(lgd)?, app.tenor, sales)?;
        let capacity = DebtCapacityInputs {
            revenue: fin.revenue,
            ebitda: fin.ebitda,
            capex: fin.capex,
            operating_cash_flow: fin.operating_cash_flow,
            interest_expense: fin.interest_expense,
            short_term_debt: fin.short_term_debt,
            long_term_debt: fin.long_term_debt,
        };
        let limit = size_limit(
            &self.config.limits,
            &capacity,
            &app.collateral,
            &app.guarantees,
            quote.rate(),
            self.config.limits.sizing_tenor(app.product, tenor),
        )?;
        let facts = Facts {
            years_in_business: features.years_in_business,
            leverage: features.ratios.leverage,
            book_equity: features.financials.map(|f| f.book_equity),
            statement_age_days: features.statement_age_days,
            on_watch_list: input.on_watch_list,
            industry_code: &input.firm.industry.code,
            amount,
            pd,
            limit: limit.amount,
        };
        self.policy.evaluate(&facts, &mut scratch.hits);
        let rules = self.policy.rules();
        let worst = scratch.hits.iter().filter_map(|h| rules.get(h.rule)).map(|r| r.severity).max();
        let outcome = match worst {
            Some(Severity::Decline) => DecisionOutcome::Decline,
            Some(Severity::Refer) => DecisionOutcome::Refer,
            None => DecisionOutcome::Approve,
        };
        let offered_amount =
            if outcome == DecisionOutcome::Decline { 0.0 } else { amount.min(limit.amount) };
        Ok(DecisionCore { outcome, pd, grade, lgd, quote, limit, offered_amount, features })
    }

    /// Decides and explains: reasons as sentences, a financing plan for technology-innovative
    /// firms, and the audit record.
    ///
    /// # Errors
    ///
    /// As [`Engine::decide_core`].
    pub fn decide(&self, input: &DecisionInput<'_>) -> Result<Decision, LendingError> {
        let mut scratch = Scratch::default();
        let core = self.decide_core(input, &mut scratch)?;
        let rules = self.policy.rules();
        let mut hits = scratch.hits.clone();
        // Declines first, then referrals, each in file order (the sort is stable).
        hits.sort_by_key(|h| std::cmp::Reverse(rules.get(h.rule).map(|r| r.severity)));
        let mut reasons: Vec<Reason> = hits
            .iter()
            .filter_map(|h| {
                let rule = rules.get(h.rule)?;
                Some(Reason {
                    code: rule.id.clone(),
                    severity: Some(rule.severity),
                    text: self.policy.describe(h, &input.firm.industry.code),
                })
            })
            .collect();
        reasons.extend(scratch.reasons.iter().map(|r| Reason {
            code: format!("SCORE:{}", r.characteristic),
            severity: None,
            text: describe_reason(r),
        }));
        let plan = if self.config.plan_for_all || core.features.tech_innovative {
            let sector = input.sector;
            Some(plan(
                &self.config.plan,
                &PlanInputs {
                    application: input.application,
                    features: &core.features,
                    limit: &core.limit,
                    pd: core.pd,
                    rate: core.quote.rate(),
                    ip_lending_value: self.config.limits.collateral.lending_value_of(
                        &input.application.collateral,
                        finkit_schema::CollateralKind::IpPledge,
                    ),
                    sector,
                },
            )?)
        } else {
            None
        };
        let audit = AuditRecord {
            engine_version: env!("CARGO_PKG_VERSION").to_owned(),
            model_id: self.model.model_id().to_owned(),
            policy_id: self.policy.id().to_owned(),
            policy_version: self.policy.version().to_owned(),
            rules_evaluated: rules.iter().map(|r| r.id.clone()).collect(),
            inputs_as_of: input.application.application_date,
            statement_period_end: core.features.statement_period_end,
            statement_available_at: core.features.statement_available_at,
            market_data_used: input.market.is_some(),
            pricing: self.config.pricing,
            limits: self.config.limits,
        };
        Ok(Decision {
            application_id: input.application.id.to_string(),
            firm_id: input.firm.id.to_string(),
            grade: self.config.scale.grades()[core.grade].label.clone(),
            core,
            reasons,
            plan,
            audit,
        })
    }

    /// Decides a batch in parallel (rayon), one [`Scratch`] per worker; results in input order.
    ///
    /// The results are [`Engine::decide_core`]'s; the model's reason codes, which they do not
    /// carry, are not computed ([`RatingModel::pd`]).
    pub fn decide_batch(
        &self,
        inputs: &[DecisionInput<'_>],
    ) -> Vec<Result<DecisionCore, LendingError>>
    where
        M: Sync,
    {
        inputs.par_iter().map_init(Scratch::default, |s, i| self.core(i, s, false)).collect()
    }
}

/// A scorecard reason code as a sentence.
fn describe_reason(r: &ReasonCode) -> String {
    let name: &Cow<'static, str> = &r.characteristic;
    let value = r.value.map_or_else(|| "missing".to_owned(), |v| format!("{v:.3}"));
    format!(
        "{} ({value}) cost {:.0} points against the best band.",
        name.replace('_', " "),
        r.points_below_max
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "pool")]
    #[test]
    fn synthetic_scale_through_the_credit_master_scale() {
        // The pool's 10-grade synthetic scale (upper bounds, upper-inclusive) as a credit
        // master scale grades exactly as the pool does.
        let bounds = finkit_pool::synthetic::SYNTHETIC_MASTER_SCALE;
        let edges: Vec<f64> = [0.00025].into_iter().chain(bounds.iter().map(|b| b.1)).collect();
        let labels: Vec<&str> = bounds.iter().map(|b| b.0).collect();
        let s = MasterScale::new(
            labels,
            &edges,
            finkit_credit::master_scale::BoundRule::UpperInclusive,
        )
        .unwrap();
        let label = |pd| s.grade(pd).unwrap().label.as_str();
        assert_eq!(label(0.0), "1");
        assert_eq!(label(0.0005), "1");
        assert_eq!(label(0.0006), "2");
        assert_eq!(label(0.01), "6");
        assert_eq!(label(0.02), "7");
        assert_eq!(label(1.0), "10");
        // The default is the credit crate's 12-grade scale; the 0.03 % PD floor is grade 2.
        let d = MasterScale::default();
        assert_eq!(d.grade(0.0003).unwrap().label, "2");
    }
}
