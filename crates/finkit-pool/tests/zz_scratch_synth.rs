//! Temporary scratch statistics (deleted after use).
use finkit_pool::synthetic::{SyntheticParams, Segment};
use finkit_schema::FinancialRatios;
#[test]
fn stats() {
    let d = SyntheticParams::default().generate().unwrap();
    println!("DEFAULT {:?}", d.summary());
    let d = SyntheticParams::builder().with_firms(10000).build().unwrap().generate().unwrap();
    println!("10K {:?}", d.summary());
    for seg in Segment::ALL {
        let ids: Vec<_> = d.truth.iter().filter(|t| t.segment == seg).map(|t| t.firm_id.clone()).collect();
        let n = ids.len();
        let dr = d.truth.iter().filter(|t| t.segment == seg && t.defaulted).count() as f64 / n as f64;
        let set: std::collections::HashSet<_> = ids.iter().collect();
        let st: Vec<_> = d.statements.iter().filter(|s| set.contains(&s.firm_id)).collect();
        let r: Vec<FinancialRatios> = st.iter().map(|s| FinancialRatios::compute(s, None)).collect();
        let med = |f: &dyn Fn(&FinancialRatios) -> Option<f64>| { let mut v: Vec<f64> = r.iter().filter_map(|x| f(x)).collect(); v.sort_by(f64::total_cmp); if v.is_empty() {f64::NAN} else { v[v.len()/2] } };
        let neg_eq = st.iter().filter(|s| s.book_equity < 0.0).count() as f64 / st.len() as f64;
        let mut rev: Vec<f64> = st.iter().map(|s| s.revenue).collect(); rev.sort_by(f64::total_cmp);
        println!("{seg}: n={n} dr={dr:.3} stmts/firm={:.2} lev={:.2} ebit/ta={:.3} cr={:.2} de/ebitda={:.2} icov={:.2} rd_int={:.3} negEq={neg_eq:.3} medRev={:.0}",
            st.len() as f64 / n as f64, med(&|x| x.leverage), med(&|x| x.ebit_to_assets), med(&|x| x.current_ratio), med(&|x| x.debt_to_ebitda), med(&|x| x.interest_coverage), med(&|x| x.rd_intensity), rev[rev.len()/2]);
    }
    let mut grades = std::collections::BTreeMap::new();
    for e in &d.exposures { *grades.entry(e.rating.clone().unwrap().parse::<u32>().unwrap()).or_insert(0) += 1; }
    println!("grades {grades:?}");
    let mut prods = std::collections::BTreeMap::new();
    for a in &d.applications { *prods.entry(format!("{:?}", a.product)).or_insert(0) += 1; }
    println!("products {prods:?}");
    println!("{:?}", d.applications[0]);
    println!("{:?}", d.events.iter().take(4).collect::<Vec<_>>());
}
