//! Access control as a property: for random policies, every role on every read path is allowed
//! exactly when the policy says so; masked fields never appear for a role that may not see them;
//! every denial is audited.

use std::collections::BTreeSet;

use finkit_pool::conformance::{self, ReadPath, fixtures, read_path};
use finkit_pool::{
    MemoryPool, Permission, Policy, PoolError, PoolRead, Principal, Role, SqlitePool,
};
use proptest::prelude::*;

fn policy_strategy() -> impl Strategy<Value = Policy> {
    // Four non-admin roles get random permission sets; admin keeps everything so the test can
    // read the audit trail.
    proptest::collection::vec(proptest::bits::u32::masked((1u32 << Permission::ALL.len()) - 1), 4)
        .prop_map(|masks| {
            let mut roles: Vec<(Role, Vec<Permission>)> = Role::ALL[..4]
                .iter()
                .zip(masks)
                .map(|(&role, mask)| {
                    let perms = Permission::ALL
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1u32 << i) != 0)
                        .map(|(_, p)| *p)
                        .collect();
                    (role, perms)
                })
                .collect();
            roles.push((Role::Admin, Permission::ALL.to_vec()));
            Policy::new(roles)
        })
}

fn check<P: PoolRead>(
    pool: &P,
    policy: &Policy,
    role: Role,
    paths: &BTreeSet<usize>,
) -> Result<(), TestCaseError>
where
    P::Error: Into<PoolError>,
{
    let admin = Principal::new("prop-admin", Role::Admin);
    for &i in paths {
        let path = ReadPath::ALL[i];
        let who = Principal::new(format!("prop-{role}-{path:?}"), role);
        let allowed = path.allowed(policy, role);
        match read_path(pool, &who, path) {
            Ok(text) => {
                prop_assert!(allowed, "{role} was allowed {path:?}");
                if !policy.allows(role, Permission::ViewSensitive)
                    || path == ReadPath::ResearchExport
                {
                    for s in fixtures::SENSITIVE {
                        prop_assert!(!text.contains(s), "{role} saw {s:?} via {path:?}");
                    }
                }
            }
            Err(e) => {
                prop_assert!(!allowed && e.is_access_denied(), "{role} on {path:?}: {e}");
                let log = pool
                    .audit_log(&admin)
                    .map_err(|e| TestCaseError::fail(e.into().to_string()))?;
                prop_assert!(
                    log.iter().any(|x| x.principal == who.name && x.outcome == "denied"),
                    "denial not audited"
                );
            }
        }
    }
    let status =
        pool.verify_audit(&admin).map_err(|e| TestCaseError::fail(e.into().to_string()))?;
    prop_assert!(status.is_intact());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn access_and_masking_follow_the_policy(
        policy in policy_strategy(),
        role in proptest::sample::select(Role::ALL.to_vec()),
        paths in proptest::collection::btree_set(0..ReadPath::ALL.len(), 1..=ReadPath::ALL.len()),
    ) {
        let memory = MemoryPool::new(policy.clone());
        conformance::load_fixture(&memory).unwrap();
        check(&memory, &policy, role, &paths)?;
        let sqlite = SqlitePool::in_memory_with(policy.clone()).unwrap();
        conformance::load_fixture(&sqlite).unwrap();
        check(&sqlite, &policy, role, &paths)?;
    }
}

#[test]
fn every_role_on_every_path_under_the_default_policy() {
    let policy = Policy::default();
    let pool = SqlitePool::in_memory().unwrap();
    conformance::load_fixture(&pool).unwrap();
    let all: BTreeSet<usize> = (0..ReadPath::ALL.len()).collect();
    for role in Role::ALL {
        check(&pool, &policy, role, &all).unwrap();
    }
}
