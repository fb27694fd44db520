//! Corporate default models against `corporate_models.json` (numpy/scipy: `fsolve` for Merton,
//! the published coefficients for Altman and Ohlson).

use crate::common;

use common::tolerance::{ALTMAN_ABS, MERTON_REL, OHLSON_ABS};
use common::{assert_abs, assert_rel, read_json};
use finkit_credit::corporate::{
    AltmanModel, AltmanRatios, AltmanVariant, MertonInputs, MertonMethod, MertonModel,
    MertonOptions, OhlsonInputs, OhlsonModel, Zone, ZonePd, solve_merton,
};
use finkit_credit::schema::{Maturity, Rate};
use finkit_credit::{CreditError, FeatureRecord, PdModel};
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn merton_matches_hull_example() {
    let reference = read_json("corporate_models.json");
    let m = &reference["merton_hull_example"];
    let i = &m["inputs"];
    let inputs =
        MertonInputs::new(f(&i["E"]), f(&i["sigma_E"]), f(&i["D"]), f(&i["r"]), f(&i["T"]))
            .unwrap();
    for method in [MertonMethod::Newton, MertonMethod::Bisection] {
        let fit =
            solve_merton(&inputs, &MertonOptions { method, ..MertonOptions::default() }).unwrap();
        assert_eq!(fit.method, method);
        for (what, got, want) in [
            ("V", fit.asset_value, f(&m["V"])),
            ("sigma_V", fit.asset_volatility, f(&m["sigma_V"])),
            ("PD", fit.pd, f(&m["pd_risk_neutral"])),
            ("d1", fit.d1, f(&m["d1"])),
            ("d2", fit.d2, f(&m["d2"])),
            ("DD", fit.distance_to_default, f(&m["distance_to_default_rn"])),
            ("debt market value", fit.market_value_debt, f(&m["market_value_debt"])),
        ] {
            eprintln!(
                "merton {method:?} {what}: {got} vs {want}, rel diff {:e}",
                ((got - want) / want).abs()
            );
            assert_rel(what, got, want, MERTON_REL);
        }
    }
    // Hull's published, rounded values.
    let p = &reference["merton_published_rounded"];
    let fit = solve_merton(&inputs, &MertonOptions::default()).unwrap();
    assert!((fit.asset_value - f(&p["V"])).abs() < 0.005);
    assert!((fit.asset_volatility - f(&p["sigma_V"])).abs() < 5e-5);
    assert!((fit.pd - f(&p["pd"])).abs() < 5e-4);
}

#[test]
fn merton_as_pd_model_with_kmv_point() {
    let plain = MertonModel::new(Rate::new(0.05).unwrap(), Maturity::new(1.0).unwrap())
        .with_options(MertonOptions::default());
    let record = FeatureRecord::new()
        .with_number("equity_value", 3.0)
        .with_number("equity_volatility", 0.8)
        .with_number("debt", 10.0);
    let pd = plain.pd(&record).unwrap().get();
    assert_rel("pd model", pd, 0.12697124106279656, MERTON_REL);
    // KMV: STD 6 + ½·LTD 8 = 10 gives the same default point.
    let kmv = plain.kmv();
    let record = FeatureRecord::new()
        .with_number("equity_value", 3.0)
        .with_number("equity_volatility", 0.8)
        .with_number("short_term_debt", 6.0)
        .with_number("long_term_debt", 8.0);
    assert_eq!(kmv.pd(&record).unwrap().get(), pd);
    assert!(matches!(plain.pd(&FeatureRecord::new()), Err(CreditError::MissingVariable(_))));
}

#[test]
fn merton_model_json_is_validated_on_load() {
    // The fields used to be public and unchecked: a hand-edited horizon of -1 loaded and only
    // failed (or produced a wrong PD) when scoring. Now it is a typed error at load.
    let good = serde_json::to_string(&MertonModel::new(
        Rate::new(0.05).unwrap(),
        Maturity::new(1.0).unwrap(),
    ))
    .unwrap();
    assert!(serde_json::from_str::<MertonModel>(&good).is_ok());
    for (from, to) in [("\"horizon\":1.0", "\"horizon\":-1.0"), ("\"rate\":0.05", "\"rate\":-3.0")]
    {
        assert!(good.contains(from), "{good}");
        let bad = good.replace(from, to);
        assert!(serde_json::from_str::<MertonModel>(&bad).is_err(), "{bad}");
    }
}

#[test]
fn altman_matches() {
    let reference = read_json("corporate_models.json");
    let a = &reference["altman_example_firm_thousands"];
    let ratios = AltmanRatios::from_amounts(
        f(&a["wc"]),
        f(&a["re"]),
        f(&a["ebit"]),
        f(&a["mve"]),
        f(&a["tl"]),
        f(&a["sales"]),
        f(&a["ta"]),
    )
    .unwrap();
    let want_ratios: Vec<f64> =
        reference["altman_z_x5_1.0"]["ratios"].as_array().unwrap().iter().map(f).collect();
    for (got, want) in
        [ratios.x1, ratios.x2, ratios.x3, ratios.x4, ratios.x5].iter().zip(&want_ratios)
    {
        assert_abs("altman ratio", *got, *want, ALTMAN_ABS);
    }
    let dp = &reference["altman_z_double_prime_using_mve_as_bve"];
    for (variant, want) in [
        (AltmanVariant::Z1968, f(&reference["altman_z_x5_1.0"]["z"])),
        (AltmanVariant::Z1968Original, f(&reference["altman_z_x5_0.999"]["z"])),
        (AltmanVariant::Z1968Original, f(&reference["altman_z_1968_percent_form"])),
        (AltmanVariant::ZPrime, f(&reference["altman_z_prime_using_mve_as_bve"])),
        (AltmanVariant::ZDoublePrime, f(&dp["z_double_prime"])),
        (AltmanVariant::ZDoublePrimeEm, f(&dp["z_double_prime_em"])),
    ] {
        let got = ratios.score(variant).unwrap();
        eprintln!("altman {variant:?}: {} vs {want}, |diff| {:e}", got.z, (got.z - want).abs());
        assert_abs("altman z", got.z, want, ALTMAN_ABS);
        assert_eq!(got.zone, Zone::Safe, "{variant:?}");
    }
}

#[test]
fn altman_as_pd_model() {
    let model = AltmanModel {
        variant: AltmanVariant::ZDoublePrime,
        zone_pd: ZonePd::new(0.01, 0.04, 0.25).unwrap(),
    };
    let distressed = FeatureRecord::new()
        .with_number("working_capital_to_assets", -0.1)
        .with_number("retained_earnings_to_assets", -0.2)
        .with_number("ebit_to_assets", 0.0)
        .with_number("book_equity_to_liabilities", 0.3);
    assert_eq!(model.pd(&distressed).unwrap().get(), 0.25);
    // The 1968 model needs market equity, which the book-equity record lacks.
    let z = AltmanModel::default();
    assert!(
        matches!(z.pd(&distressed), Err(CreditError::MissingVariable(name)) if name == "market_equity_to_liabilities")
    );
}

#[test]
fn ohlson_matches() {
    let reference = read_json("corporate_models.json");
    let o = &reference["ohlson_illustrative"];
    let i = &o["inputs_musd"];
    let inputs = OhlsonInputs::new(
        f(&i["ta"]),
        f(&i["gnp_index"]),
        f(&i["ta"]),
        f(&i["tl"]),
        f(&i["wc"]),
        f(&i["cl"]),
        f(&i["ca"]),
        f(&i["ni"]),
        f(&i["ni_prev"]),
        f(&i["ffo"]),
    )
    .unwrap();
    let got = inputs.score();
    let r = &o["result"];
    for (what, g, w) in [
        ("size", got.size, f(&r["size"])),
        ("oeneg", got.oeneg, f(&r["oeneg"])),
        ("intwo", got.intwo, f(&r["intwo"])),
        ("chin", got.chin, f(&r["chin"])),
        ("o score", got.o_score, f(&r["o_score"])),
        ("pd", got.pd, f(&r["pd"])),
    ] {
        eprintln!("ohlson {what}: {g} vs {w}, |diff| {:e}", (g - w).abs());
        assert_abs(what, g, w, OHLSON_ABS);
    }
    let model = OhlsonModel { gnp_price_index: 100.0 };
    let record = FeatureRecord::new()
        .with_number("total_assets_millions", 500.0)
        .with_number("total_assets", 500.0)
        .with_number("total_liabilities", 350.0)
        .with_number("working_capital", 40.0)
        .with_number("current_liabilities", 120.0)
        .with_number("current_assets", 160.0)
        .with_number("net_income", -10.0)
        .with_number("net_income_prior", 5.0)
        .with_number("funds_from_operations", 15.0);
    assert_eq!(model.pd(&record).unwrap().get(), got.pd);
}
