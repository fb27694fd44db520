#[path = "portfolio_common/mod.rs"]
mod portfolio_common;
use finkit_risk::portfolio::MonteCarloParams;
use portfolio_common::*;
#[test]
fn seeds() {
    let p = portfolio();
    let res = results();
    for seed in 1..=3 {
        let t = std::time::Instant::now();
        let run = MonteCarloParams { scenarios: 1_000_000, seed, ..Default::default() }.build().unwrap().run(&p).unwrap();
        let el = t.elapsed();
        let d = run.distribution();
        let mut zs = vec![];
        for q in ["0.99", "0.999"] {
            let qf: f64 = q.parse().unwrap();
            let ex = &res["one_factor_exact"][q];
            let se = &res["one_factor_mc"][q];
            zs.push((d.var(qf).unwrap() - ex["VaR"].as_f64().unwrap()) / se["se_VaR_asymptotic"].as_f64().unwrap());
            zs.push((d.es(qf).unwrap() - ex["ES"].as_f64().unwrap()) / se["se_ES_asymptotic"].as_f64().unwrap());
        }
        let zm = (d.mean() - 7.821383) / 0.009058448293654557;
        eprintln!("seed {seed} {el:?}: mean z {zm:+.2} z {:?}", zs.iter().map(|z| format!("{z:+.2}")).collect::<Vec<_>>());
    }
}
