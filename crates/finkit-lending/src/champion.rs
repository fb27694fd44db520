//! What a batch of decisions does, and what a challenger model would change.
//!
//! [`BookSummary`] reports the straight-through rate — the share of applications decided
//! without a credit officer (approved or declined automatically) — and the expected loss of
//! what was approved automatically:
//!
//! ```text
//! straight-through = (approved + declined) / applications
//! EAD              = Σ_approved offered amount
//! EL               = Σ_approved PD · LGD · offered amount        EL rate = EL / EAD
//! RAROC            = Σ_approved RAROC · offered / EAD            (EAD-weighted)
//! ```
//!
//! The PD is the deciding model's, or any other PD given per application (e.g. the true PD of
//! synthetic data, [`BookSummary::with_pds`]), so two policies or models can be compared on
//! one yardstick.
//!
//! [`compare`] decides the same applications with a champion and a challenger engine: the
//! outcome flips (a 3 × 3 table), each book under its own PDs, and — given outcomes — the paired
//! DeLong test of the two models' PDs (`finkit_credit::monitoring::delong_test`).

use finkit_credit::monitoring::{PairedDeLong, delong_test};
use finkit_credit::validation::RiskOrder;
use ndarray::Array1;

use crate::LendingError;
use crate::decision::{DecisionCore, DecisionInput, DecisionOutcome, Engine};
use crate::model::RatingModel;

/// Counts and the automatically approved book of a batch of decisions.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BookSummary {
    /// Applications decided.
    pub applications: usize,
    /// Approved automatically.
    pub approved: usize,
    /// Referred to a credit officer.
    pub referred: usize,
    /// Declined automatically.
    pub declined: usize,
    /// `(approved + declined) / applications` (0 for no application).
    pub straight_through_rate: f64,
    /// Offered amount of the approved applications.
    pub approved_ead: f64,
    /// Expected loss of the approved applications.
    pub approved_el: f64,
    /// `approved_el / approved_ead` (0 for an empty book).
    pub approved_el_rate: f64,
    /// EAD-weighted RAROC of the approved applications (0 for an empty book).
    pub approved_raroc: f64,
    /// Mean PD of the approved applications (0 for an empty book).
    pub approved_mean_pd: f64,
}

impl BookSummary {
    /// The summary under the deciding model's PDs.
    #[must_use]
    pub fn of(decisions: &[DecisionCore]) -> BookSummary {
        let pds: Vec<f64> = decisions.iter().map(|d| d.pd).collect();
        Self::build(decisions, &pds)
    }

    /// The summary with the expected loss under other PDs, one per decision (e.g. the true
    /// PDs of synthetic data).
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] when the lengths differ or a PD is outside [0, 1].
    pub fn with_pds(decisions: &[DecisionCore], pds: &[f64]) -> Result<BookSummary, LendingError> {
        if pds.len() != decisions.len() {
            return Err(LendingError::param("pds", pds.len(), "needs one PD per decision"));
        }
        if let Some(p) = pds.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(LendingError::param("pds", p, "every PD must lie in [0, 1]"));
        }
        Ok(Self::build(decisions, pds))
    }

    fn build(decisions: &[DecisionCore], pds: &[f64]) -> BookSummary {
        let count = |o: DecisionOutcome| decisions.iter().filter(|d| d.outcome == o).count();
        let (approved, referred, declined) = (
            count(DecisionOutcome::Approve),
            count(DecisionOutcome::Refer),
            count(DecisionOutcome::Decline),
        );
        let (mut ead, mut el, mut raroc, mut pd_sum) = (0.0, 0.0, 0.0, 0.0);
        for (d, &pd) in decisions.iter().zip(pds) {
            if d.outcome == DecisionOutcome::Approve {
                ead += d.offered_amount;
                el += pd * d.lgd * d.offered_amount;
                raroc += d.quote.raroc * d.offered_amount;
                pd_sum += pd;
            }
        }
        let share = |x: f64, n: f64| if n > 0.0 { x / n } else { 0.0 };
        BookSummary {
            applications: decisions.len(),
            approved,
            referred,
            declined,
            straight_through_rate: share((approved + declined) as f64, decisions.len() as f64),
            approved_ead: ead,
            approved_el: el,
            approved_el_rate: share(el, ead),
            approved_raroc: share(raroc, ead),
            approved_mean_pd: share(pd_sum, approved as f64),
        }
    }
}

/// A champion and a challenger on the same applications.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Comparison {
    /// The champion's model id.
    pub champion_id: String,
    /// The challenger's model id.
    pub challenger_id: String,
    /// `flips[i][j]`: applications the champion decided `i` and the challenger `j`, in the
    /// order approve, refer, decline.
    pub flips: [[usize; 3]; 3],
    /// Applications whose outcome differs.
    pub flipped: usize,
    /// The champion's book under its own PDs.
    pub champion: BookSummary,
    /// The challenger's book under its own PDs.
    pub challenger: BookSummary,
    /// The paired DeLong test of the champion's PD (a) against the challenger's (b), when
    /// outcomes were given.
    pub auc_test: Option<PairedDeLong>,
}

fn index(o: DecisionOutcome) -> usize {
    match o {
        DecisionOutcome::Approve => 0,
        DecisionOutcome::Refer => 1,
        DecisionOutcome::Decline => 2,
    }
}

/// Decides `inputs` with both engines and compares them (see the module docs). `outcomes`,
/// when given, holds 1 for an application whose firm defaulted within the horizon, else 0.
///
/// # Errors
///
/// The first decision error of either engine, [`LendingError::InvalidParameter`] when
/// `outcomes` has the wrong length, and the DeLong test's errors (outcomes with one class, or
/// two models that rank every pair alike).
pub fn compare<A, B>(
    champion: &Engine<A>,
    challenger: &Engine<B>,
    inputs: &[DecisionInput<'_>],
    outcomes: Option<&[f64]>,
) -> Result<(Comparison, Vec<DecisionCore>, Vec<DecisionCore>), LendingError>
where
    A: RatingModel,
    B: RatingModel,
{
    let a: Vec<DecisionCore> =
        champion.decide_batch(inputs).into_iter().collect::<Result<_, _>>()?;
    let b: Vec<DecisionCore> =
        challenger.decide_batch(inputs).into_iter().collect::<Result<_, _>>()?;
    let mut flips = [[0usize; 3]; 3];
    for (x, y) in a.iter().zip(&b) {
        flips[index(x.outcome)][index(y.outcome)] += 1;
    }
    let flipped = a.iter().zip(&b).filter(|(x, y)| x.outcome != y.outcome).count();
    let auc_test = match outcomes {
        Some(y) => {
            if y.len() != inputs.len() {
                return Err(LendingError::param(
                    "outcomes",
                    y.len(),
                    "needs one outcome per application",
                ));
            }
            let pa: Array1<f64> = a.iter().map(|d| d.pd).collect();
            let pb: Array1<f64> = b.iter().map(|d| d.pd).collect();
            Some(delong_test(&pa, &pb, &Array1::from(y.to_vec()), RiskOrder::HigherIsRiskier)?)
        }
        None => None,
    };
    let comparison = Comparison {
        champion_id: champion.model_id().to_owned(),
        challenger_id: challenger.model_id().to_owned(),
        flips,
        flipped,
        champion: BookSummary::of(&a),
        challenger: BookSummary::of(&b),
        auc_test,
    };
    Ok((comparison, a, b))
}
