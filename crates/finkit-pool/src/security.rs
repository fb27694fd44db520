//! Principals, roles, the access policy, masking of sensitive fields and keyed pseudonyms.
//!
//! Every pool call takes the [`Principal`] it is made for (rather than opening a pool per
//! principal), so one pool can serve many users, as a service does; the pool holds the
//! [`Policy`] that decides what each role may do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use finkit_schema::{
    CreditEvent, Exposure, FinancialStatement, Firm, FirmId, GuaranteeKind, LoanApplication,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::PoolError;
use crate::anonymise::ResearchFirm;

/// The text that replaces a masked value.
pub const MASK: &str = "***";

/// A role in the bank. What each role may do is decided by the [`Policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Builds and validates models; reads firms, statements, events and prices.
    Analyst,
    /// Decides on applications; may see the identity of applicants.
    CreditOfficer,
    /// Owns the loan book and portfolio risk.
    RiskOfficer,
    /// Reads everything, including the audit trail, but writes nothing.
    Auditor,
    /// Administers the pool; may do everything.
    Admin,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 5] =
        [Role::Analyst, Role::CreditOfficer, Role::RiskOfficer, Role::Auditor, Role::Admin];

    /// The role's stable snake_case name (as in policy files and the audit trail).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::CreditOfficer => "credit_officer",
            Role::RiskOfficer => "risk_officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Parses [`Role::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Permission {
    /// Read firms.
    ReadFirms,
    /// Read financial statements.
    ReadStatements,
    /// Read loan applications.
    ReadApplications,
    /// Read the loan book (exposures, portfolio).
    ReadExposures,
    /// Read credit events.
    ReadCreditEvents,
    /// Read price series.
    ReadPrices,
    /// Read and verify the audit trail.
    ReadAudit,
    /// See sensitive fields unmasked (registration numbers, contact details, personal names).
    ViewSensitive,
    /// Produce pseudonymised research exports.
    Export,
    /// Ingest firms.
    WriteFirms,
    /// Ingest financial statements.
    WriteStatements,
    /// Ingest loan applications.
    WriteApplications,
    /// Ingest exposures.
    WriteExposures,
    /// Ingest credit events.
    WriteCreditEvents,
    /// Ingest prices.
    WritePrices,
    /// Read stored rating models (see `SqlitePool::latest_model`).
    ReadModels,
    /// Store rating models (see `SqlitePool::save_model`).
    WriteModels,
    /// Change the pool's stored policy and its user-to-role table.
    Administer,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 18] = [
        Permission::ReadFirms,
        Permission::ReadStatements,
        Permission::ReadApplications,
        Permission::ReadExposures,
        Permission::ReadCreditEvents,
        Permission::ReadPrices,
        Permission::ReadAudit,
        Permission::ViewSensitive,
        Permission::Export,
        Permission::WriteFirms,
        Permission::WriteStatements,
        Permission::WriteApplications,
        Permission::WriteExposures,
        Permission::WriteCreditEvents,
        Permission::WritePrices,
        Permission::ReadModels,
        Permission::WriteModels,
        Permission::Administer,
    ];

    /// The permission's stable snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ReadFirms => "read_firms",
            Permission::ReadStatements => "read_statements",
            Permission::ReadApplications => "read_applications",
            Permission::ReadExposures => "read_exposures",
            Permission::ReadCreditEvents => "read_credit_events",
            Permission::ReadPrices => "read_prices",
            Permission::ReadAudit => "read_audit",
            Permission::ViewSensitive => "view_sensitive",
            Permission::Export => "export",
            Permission::WriteFirms => "write_firms",
            Permission::WriteStatements => "write_statements",
            Permission::WriteApplications => "write_applications",
            Permission::WriteExposures => "write_exposures",
            Permission::WriteCreditEvents => "write_credit_events",
            Permission::WritePrices => "write_prices",
            Permission::ReadModels => "read_models",
            Permission::WriteModels => "write_models",
            Permission::Administer => "administer",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is making a call: a name (as recorded in the audit trail) and a role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    /// The user or service name.
    pub name: String,
    /// The role the principal acts in.
    pub role: Role,
}

impl Principal {
    /// A principal with a name and a role.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Principal { name: name.into(), role }
    }
}

/// Which permissions each role has.
///
/// Built in code ([`Policy::default`], [`Policy::new`]) or read from a TOML or JSON file with one
/// list of permission names per role:
///
/// ```toml
/// [roles]
/// analyst = ["read_firms", "read_statements", "export"]
/// admin = ["read_firms", "write_firms"]
/// ```
///
/// A role missing from the file has no permission at all (deny by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The permissions of each role.
    pub roles: BTreeMap<Role, BTreeSet<Permission>>,
}

impl Default for Policy {
    /// The bank's default policy:
    ///
    /// | role | reads | sensitive | export | writes |
    /// |---|---|---|---|---|
    /// | analyst | firms, statements, credit events, prices, models | no | yes | models |
    /// | credit officer | all entities, models | yes | no | firms, statements, applications |
    /// | risk officer | firms, statements, exposures, credit events, prices, models | no | yes | exposures, credit events, prices |
    /// | auditor | all entities, models and the audit trail | no | no | none |
    /// | admin | everything | yes | yes | everything |
    fn default() -> Self {
        use Permission as P;
        let reads = [
            P::ReadFirms,
            P::ReadStatements,
            P::ReadApplications,
            P::ReadExposures,
            P::ReadCreditEvents,
            P::ReadPrices,
        ];
        let mut roles = BTreeMap::new();
        roles.insert(
            Role::Analyst,
            [
                P::ReadFirms,
                P::ReadStatements,
                P::ReadCreditEvents,
                P::ReadPrices,
                P::Export,
                P::ReadModels,
                P::WriteModels,
            ]
            .into_iter()
            .collect(),
        );
        roles.insert(
            Role::CreditOfficer,
            reads
                .into_iter()
                .chain([
                    P::ViewSensitive,
                    P::WriteFirms,
                    P::WriteStatements,
                    P::WriteApplications,
                    P::ReadModels,
                ])
                .collect(),
        );
        roles.insert(
            Role::RiskOfficer,
            [
                P::ReadFirms,
                P::ReadStatements,
                P::ReadExposures,
                P::ReadCreditEvents,
                P::ReadPrices,
                P::Export,
                P::WriteExposures,
                P::WriteCreditEvents,
                P::WritePrices,
                P::ReadModels,
            ]
            .into_iter()
            .collect(),
        );
        roles.insert(
            Role::Auditor,
            reads.into_iter().chain([P::ReadAudit, P::ReadModels]).collect(),
        );
        roles.insert(Role::Admin, Permission::ALL.into_iter().collect());
        Policy { roles }
    }
}

impl Policy {
    /// A policy from explicit role → permissions pairs; roles not listed get nothing.
    pub fn new(roles: impl IntoIterator<Item = (Role, Vec<Permission>)>) -> Self {
        Policy { roles: roles.into_iter().map(|(r, p)| (r, p.into_iter().collect())).collect() }
    }

    /// Parses a TOML policy (see the type's docs for the layout).
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`] naming the unknown role or permission, or the syntax error.
    pub fn from_toml_str(text: &str) -> Result<Self, PoolError> {
        toml::from_str(text).map_err(|e| PoolError::Policy(e.to_string().to_lowercase()))
    }

    /// Parses a JSON policy: `{"roles": {"analyst": ["read_firms"], ...}}`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`] naming the unknown role or permission, or the syntax error.
    pub fn from_json_str(text: &str) -> Result<Self, PoolError> {
        serde_json::from_str(text).map_err(|e| PoolError::Policy(e.to_string()))
    }

    /// Reads a policy file: `.json` files as JSON, anything else as TOML.
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Policy`].
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, PoolError> {
        let path = path.as_ref();
        let text = finkit_schema::limits::read_document(path)
            .map_err(|source| PoolError::Io { path: path.to_path_buf(), source })?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }

    /// The permissions of `role` (empty when the role is not listed).
    #[must_use]
    pub fn permissions(&self, role: Role) -> BTreeSet<Permission> {
        self.roles.get(&role).cloned().unwrap_or_default()
    }

    /// Whether acting in role `lower` gives no permission that `upper` lacks, so a user holding
    /// `upper` may choose to act as `lower` without gaining anything.
    #[must_use]
    pub fn is_within(&self, lower: Role, upper: Role) -> bool {
        self.permissions(lower).is_subset(&self.permissions(upper))
    }

    /// Checks that a policy can be stored in a pool: the admin role must keep
    /// [`Permission::Administer`], or nobody could ever change the policy again.
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`].
    pub fn validate_for_pool(&self) -> Result<(), PoolError> {
        if self.allows(Role::Admin, Permission::Administer) {
            Ok(())
        } else {
            Err(PoolError::Policy(
                "the admin role must keep the administer permission (it would lock every user out \
                 of changing the policy)"
                    .into(),
            ))
        }
    }

    /// Whether `role` has `permission`.
    #[must_use]
    pub fn allows(&self, role: Role, permission: Permission) -> bool {
        self.roles.get(&role).is_some_and(|p| p.contains(&permission))
    }

    /// `Ok(())` when the principal's role has the permission, otherwise the typed denial.
    /// Backends audit the denial before returning it.
    ///
    /// # Errors
    ///
    /// [`PoolError::AccessDenied`].
    pub fn check(&self, who: &Principal, permission: Permission) -> Result<(), PoolError> {
        if self.allows(who.role, permission) {
            Ok(())
        } else {
            Err(PoolError::AccessDenied { principal: who.name.clone(), role: who.role, permission })
        }
    }
}

/// Masks a firm's sensitive fields: registration number and contact details.
///
/// Absent contact details stay absent, so a masked firm still tells whether a contact exists.
#[must_use]
pub fn mask_firm(mut firm: Firm) -> Firm {
    firm.registration_number = MASK.to_owned();
    for field in [&mut firm.contact_name, &mut firm.contact_email, &mut firm.contact_phone] {
        if field.is_some() {
            *field = Some(MASK.to_owned());
        }
    }
    firm
}

/// Masks an application's personal names: the guarantor of every personal guarantee.
#[must_use]
pub fn mask_application(mut application: LoanApplication) -> LoanApplication {
    for g in &mut application.guarantees {
        if g.kind == GuaranteeKind::Personal {
            g.guarantor = MASK.to_owned();
        }
    }
    application
}

/// Replaces firm ids with keyed pseudonyms: `P-` and the first 16 bytes of
/// HMAC-SHA256(key, firm id) in hex.
///
/// The same key always gives the same pseudonym for a firm (so joins across exported tables and
/// across exports still work); without the key the pseudonym cannot be linked back to the firm
/// (short of trying every candidate id with the key). Keep the key secret and rotate it per
/// research project to prevent linkage across projects.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.write_str("Pseudonymiser { key: <redacted> }")
    }
}

impl Pseudonymiser {
    /// The shortest key accepted, in bytes (the HMAC-SHA256 security level needs 32).
    pub const MIN_KEY_LEN: usize = 16;

    /// A pseudonymiser with a secret key.
    ///
    /// # Errors
    ///
    /// [`PoolError::Key`] when the key is shorter than [`Self::MIN_KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Self, PoolError> {
        if key.len() < Self::MIN_KEY_LEN {
            return Err(PoolError::Key("shorter than 16 bytes"));
        }
        let mac =
            Hmac::<Sha256>::new_from_slice(key).map_err(|_| PoolError::Key("rejected by hmac"))?;
        Ok(Pseudonymiser { mac })
    }

    /// The pseudonym of a firm id.
    #[must_use]
    pub fn pseudonym(&self, id: &FirmId) -> FirmId {
        let mut mac = self.mac.clone();
        mac.update(id.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        let text = format!("P-{}", hex::encode(&digest[..16]));
        // 34 characters from [A-Za-z0-9-]: always a valid id; the fallback is unreachable.
        FirmId::new(text).unwrap_or_else(|_| id.clone())
    }
}

/// Pseudonymisation, defined once for every exported type (the research export of
/// [`crate::PoolRead::research_export`] and the Parquet export): firm ids become keyed
/// pseudonyms, and whatever could name the firm or a person goes.
pub(crate) trait Pseudonymise {
    /// The value with its firm id replaced by `key`'s pseudonym and nothing identifying left.
    #[must_use]
    fn pseudonymise(self, key: &Pseudonymiser) -> Self;
}

impl Pseudonymise for Firm {
    /// Masked whatever the role, id and name replaced by the pseudonym.
    fn pseudonymise(self, key: &Pseudonymiser) -> Self {
        let mut f = mask_firm(self);
        f.id = key.pseudonym(&f.id);
        f.name = f.id.to_string();
        f
    }
}

impl Pseudonymise for ResearchFirm {
    fn pseudonymise(mut self, key: &Pseudonymiser) -> Self {
        self.id = key.pseudonym(&self.id);
        self
    }
}

impl Pseudonymise for LoanApplication {
    /// Personal guarantors masked whatever the role, applicant pseudonymised.
    fn pseudonymise(self, key: &Pseudonymiser) -> Self {
        let mut a = mask_application(self);
        a.firm_id = key.pseudonym(&a.firm_id);
        a
    }
}

macro_rules! pseudonymise_firm_id {
    ($($t:ty),*) => {
        $(impl Pseudonymise for $t {
            fn pseudonymise(mut self, key: &Pseudonymiser) -> Self {
                self.firm_id = key.pseudonym(&self.firm_id);
                self
            }
        })*
    };
}

pseudonymise_firm_id!(FinancialStatement, Exposure, CreditEvent);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_matches_the_table() {
        let p = Policy::default();
        assert!(p.allows(Role::Admin, Permission::WritePrices));
        assert!(!p.allows(Role::Analyst, Permission::ViewSensitive));
        assert!(!p.allows(Role::Auditor, Permission::WriteFirms));
        assert!(p.allows(Role::Auditor, Permission::ReadAudit));
        assert!(p.allows(Role::CreditOfficer, Permission::ViewSensitive));
        assert!(p.allows(Role::Admin, Permission::Administer));
        assert!(!p.allows(Role::Auditor, Permission::Administer));
    }

    #[test]
    fn lowering_a_role_never_adds_permissions() {
        let p = Policy::default();
        assert!(p.is_within(Role::Analyst, Role::Admin));
        assert!(p.is_within(Role::Admin, Role::Admin));
        assert!(!p.is_within(Role::Admin, Role::Analyst));
        // An analyst may export and an auditor read the audit trail; a credit officer may
        // do neither, so neither role is below it.
        assert!(!p.is_within(Role::Analyst, Role::CreditOfficer));
        assert!(!p.is_within(Role::Auditor, Role::CreditOfficer));
        // An analyst may store rating models (model development), a risk officer may not.
        assert!(!p.is_within(Role::Analyst, Role::RiskOfficer));
        assert!(p.is_within(Role::Auditor, Role::Admin));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Policy::default().validate_for_pool().is_ok());
        let locked = Policy::new([(Role::Admin, vec![Permission::ReadFirms])]);
        assert!(locked.validate_for_pool().is_err());
    }

    #[test]
    fn policy_files_parse_and_reject_unknown_names() {
        let toml = "[roles]\nanalyst = [\"read_firms\"]\n";
        let p = Policy::from_toml_str(toml).unwrap();
        assert!(p.allows(Role::Analyst, Permission::ReadFirms));
        assert!(!p.allows(Role::Admin, Permission::ReadFirms));
        let json = r#"{"roles":{"auditor":["read_audit"]}}"#;
        assert!(Policy::from_json_str(json).unwrap().allows(Role::Auditor, Permission::ReadAudit));
        let err = Policy::from_toml_str("[roles]\nanalyst = [\"read_everything\"]\n").unwrap_err();
        assert!(err.to_string().contains("read_everything"), "{err}");
        assert!(Policy::from_toml_str("[roles]\nintern = []\n").is_err());
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let id = FirmId::new("F1").unwrap();
        let a = Pseudonymiser::new(b"0123456789abcdef").unwrap();
        let b = Pseudonymiser::new(b"0123456789abcdeX").unwrap();
        assert_eq!(a.pseudonym(&id), a.pseudonym(&id));
        assert_ne!(a.pseudonym(&id), b.pseudonym(&id));
        assert_ne!(a.pseudonym(&id), id);
        assert!(Pseudonymiser::new(b"short").is_err());
    }

    #[test]
    fn pseudonym_matches_an_independent_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". Our minimum key
        // length forbids "Jefe", so check the primitive directly.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
