//! Collateral haircuts, secured LGDs and guarantee coverage, shared by limit sizing and pricing.
//!
//! Defaults follow the Basel III foundation-IRB treatment of eligible collateral (Basel
//! Framework CRE32.6–32.11, in force from 2023): senior unsecured LGD 40 %; haircut `HC` and
//! secured LGD `LGD_S` of 0 % / 0 % for cash, 40 % / 20 % for receivables and real estate, and
//! 40 % / 25 % for other physical collateral (equipment, inventory). IP pledges are not eligible
//! collateral under CRE32; the default treats them the way Chinese IP-pledge finance does in
//! practice (loans of about 30 % of the appraised value, so a 70 % haircut) and gives them no
//! LGD benefit (`LGD_S` = unsecured). Guarantees by a government scheme or a bank are recognised
//! by substitution (CRE22): the covered share takes the guarantor's LGD, 0 by default for a
//! sovereign-backed scheme; corporate and personal guarantees are not recognised by default.

use finkit_schema::{Collateral, CollateralKind, Guarantee, GuaranteeKind};

use crate::LendingError;
use crate::error::check_range;

/// Treatment of one collateral kind.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CollateralTreatment {
    /// Share of the appraised value deducted before lending against it, in [0, 1].
    pub haircut: f64,
    /// LGD of the part of the exposure secured by this kind, in [0, 1].
    pub secured_lgd: f64,
}

/// Haircuts and LGDs per collateral kind, the unsecured LGD and guarantee recognition.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CollateralTable {
    /// Senior unsecured LGD (40 %, CRE32.6).
    pub unsecured_lgd: f64,
    /// Cash deposits (HC 0, LGD_S 0).
    pub deposit: CollateralTreatment,
    /// Real estate (HC 40 %, LGD_S 20 %).
    pub real_estate: CollateralTreatment,
    /// Receivables (HC 40 %, LGD_S 20 %).
    pub receivables: CollateralTreatment,
    /// Equipment (HC 40 %, LGD_S 25 %).
    pub equipment: CollateralTreatment,
    /// Inventory (HC 40 %, LGD_S 25 %).
    pub inventory: CollateralTreatment,
    /// IP pledges (HC 70 %, LGD_S = unsecured).
    pub ip_pledge: CollateralTreatment,
    /// LGD of the share covered by a recognised guarantee (0 for a sovereign-backed scheme).
    pub guaranteed_lgd: f64,
    /// Whether bank guarantees are recognised (government schemes always are).
    pub recognise_bank_guarantees: bool,
}

impl Default for CollateralTable {
    fn default() -> Self {
        let t = |haircut, secured_lgd| CollateralTreatment { haircut, secured_lgd };
        CollateralTable {
            unsecured_lgd: 0.40,
            deposit: t(0.0, 0.0),
            real_estate: t(0.40, 0.20),
            receivables: t(0.40, 0.20),
            equipment: t(0.40, 0.25),
            inventory: t(0.40, 0.25),
            ip_pledge: t(0.70, 0.40),
            guaranteed_lgd: 0.0,
            recognise_bank_guarantees: true,
        }
    }
}

impl CollateralTable {
    /// Checks every share is in [0, 1].
    ///
    /// # Errors
    ///
    /// [`LendingError::InvalidParameter`] naming the first bad entry.
    pub fn validate(&self) -> Result<(), LendingError> {
        let unit = "must be in [0, 1]";
        check_range("unsecured_lgd", self.unsecured_lgd, 0.0, 1.0, unit)?;
        check_range("guaranteed_lgd", self.guaranteed_lgd, 0.0, 1.0, unit)?;
        for kind in ALL_KINDS {
            let t = self.treatment(kind);
            check_range("collateral haircut", t.haircut, 0.0, 1.0, unit)?;
            check_range("collateral secured_lgd", t.secured_lgd, 0.0, 1.0, unit)?;
        }
        Ok(())
    }

    /// The treatment of one kind.
    #[must_use]
    pub fn treatment(&self, kind: CollateralKind) -> CollateralTreatment {
        match kind {
            CollateralKind::Deposit => self.deposit,
            CollateralKind::RealEstate => self.real_estate,
            CollateralKind::Receivables => self.receivables,
            CollateralKind::Equipment => self.equipment,
            CollateralKind::Inventory => self.inventory,
            CollateralKind::IpPledge => self.ip_pledge,
        }
    }

    /// Value after haircuts of a set of collateral items.
    #[must_use]
    pub fn lending_value(&self, items: &[Collateral]) -> f64 {
        items.iter().map(|c| c.value.get() * (1.0 - self.treatment(c.kind).haircut)).sum()
    }

    /// Value after haircuts of the items of one kind.
    #[must_use]
    pub fn lending_value_of(&self, items: &[Collateral], kind: CollateralKind) -> f64 {
        let h = self.treatment(kind).haircut;
        items.iter().filter(|c| c.kind == kind).map(|c| c.value.get() * (1.0 - h)).sum()
    }

    /// The share of a loan covered by recognised guarantees, in [0, 1].
    #[must_use]
    pub fn guarantee_coverage(&self, guarantees: &[Guarantee]) -> f64 {
        let covered: f64 = guarantees
            .iter()
            .filter(|g| match g.kind {
                GuaranteeKind::GovernmentScheme => true,
                GuaranteeKind::Bank => self.recognise_bank_guarantees,
                GuaranteeKind::Corporate | GuaranteeKind::Personal => false,
            })
            .map(|g| g.coverage.get())
            .sum();
        covered.min(1.0)
    }

    /// The effective LGD of a loan of `exposure` secured by `items` and `guarantees`.
    ///
    /// # Formula
    ///
    /// ```text
    /// g      = recognised guarantee coverage
    /// E'     = (1 − g)·E                                 (the part not guaranteed)
    /// LGD*   = [Σ_k LGD_S,k · E_S,k + LGD_U · (E' − Σ E_S,k)] / E'   with E_S,k = C_k (1 − HC_k),
    ///          filled cheapest-LGD first until E' is covered          (CRE32.9–32.11)
    /// LGD    = (1 − g)·LGD* + g·LGD_guaranteed
    /// ```
    /// `exposure` ≤ 0 gives the unsecured LGD.
    #[must_use]
    pub fn effective_lgd(
        &self,
        exposure: f64,
        items: &[Collateral],
        guarantees: &[Guarantee],
    ) -> f64 {
        let g = self.guarantee_coverage(guarantees);
        let uncovered = (1.0 - g) * exposure;
        if exposure <= 0.0 {
            return self.unsecured_lgd;
        }
        // Secured amounts per kind, applied in order of increasing secured LGD so that the best
        // collateral covers the exposure first (stack order with fixed kinds: no allocation).
        let mut order = ALL_KINDS;
        order.sort_by(|a, b| {
            self.treatment(*a).secured_lgd.total_cmp(&self.treatment(*b).secured_lgd)
        });
        let mut remaining = uncovered;
        let mut loss = 0.0;
        for kind in order {
            if remaining <= 0.0 {
                break;
            }
            let secured = self.lending_value_of(items, kind).min(remaining);
            loss += secured * self.treatment(kind).secured_lgd;
            remaining -= secured;
        }
        loss += remaining.max(0.0) * self.unsecured_lgd;
        let lgd_star = if uncovered > 0.0 { loss / uncovered } else { 0.0 };
        ((1.0 - g) * lgd_star + g * self.guaranteed_lgd).clamp(0.0, 1.0)
    }
}

const ALL_KINDS: [CollateralKind; 6] = [
    CollateralKind::Deposit,
    CollateralKind::RealEstate,
    CollateralKind::Receivables,
    CollateralKind::Equipment,
    CollateralKind::Inventory,
    CollateralKind::IpPledge,
];

#[cfg(test)]
mod tests {
    use super::*;
    use finkit_schema::{Amount, Probability};

    fn item(kind: CollateralKind, value: f64) -> Collateral {
        Collateral { kind, value: Amount::new(value).unwrap() }
    }

    #[test]
    fn unsecured_and_fully_cash_secured() {
        let t = CollateralTable::default();
        assert_eq!(t.effective_lgd(100.0, &[], &[]), 0.40);
        assert_eq!(t.effective_lgd(100.0, &[item(CollateralKind::Deposit, 200.0)], &[]), 0.0);
    }

    #[test]
    fn real_estate_half_secured() {
        // 100 of real estate → 60 after the 40 % haircut; 60 at 20 % and 40 at 40 %.
        let t = CollateralTable::default();
        let lgd = t.effective_lgd(100.0, &[item(CollateralKind::RealEstate, 100.0)], &[]);
        assert!((lgd - (60.0 * 0.20 + 40.0 * 0.40) / 100.0).abs() < 1e-15);
    }

    #[test]
    fn government_guarantee_substitutes() {
        let t = CollateralTable::default();
        let g = Guarantee {
            kind: GuaranteeKind::GovernmentScheme,
            guarantor: "SME fund".into(),
            coverage: Probability::new(0.8).unwrap(),
        };
        assert!((t.effective_lgd(100.0, &[], std::slice::from_ref(&g)) - 0.08).abs() < 1e-15);
        let personal = Guarantee { kind: GuaranteeKind::Personal, ..g };
        assert_eq!(t.guarantee_coverage(&[personal]), 0.0);
    }

    #[test]
    fn ip_pledge_lending_value() {
        let t = CollateralTable::default();
        let v = t.lending_value(&[item(CollateralKind::IpPledge, 1000.0)]);
        assert!((v - 300.0).abs() < 1e-9);
        assert!(t.validate().is_ok());
    }
}
