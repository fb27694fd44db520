//! Bad input to the binning gets a typed error, never a panic.

use finkit_credit::CreditError;
use finkit_credit::binning::{BinningParams, BinningProcessParams};
use finkit_schema::{Column, Dataset};
use ndarray::{Array1, array};

fn data(x: Column, y: Option<Array1<f64>>) -> Dataset {
    Dataset::new(vec![("x".into(), x)], y.map(|y| ("bad".to_owned(), y))).unwrap()
}

#[test]
fn process_errors() {
    let fit = |d: &Dataset| BinningProcessParams::new().build().unwrap().fit(d);
    let y = array![0.0, 1.0, 0.0, 1.0];
    // A constant column.
    let e = fit(&data(Column::Numeric(array![3.0, 3.0, 3.0, 3.0]), Some(y.clone()))).unwrap_err();
    assert!(matches!(&e, CreditError::UnusableColumn { name, .. } if name == "x"), "{e}");
    assert!(e.to_string().contains("constant"), "{e}");
    let cat = |s: &str| Column::Categorical(vec![Some(s.to_owned()); 4]);
    assert!(matches!(
        fit(&data(cat("a"), Some(y.clone()))),
        Err(CreditError::UnusableColumn { .. })
    ));
    // All missing.
    let e =
        fit(&data(Column::Numeric(Array1::from_elem(4, f64::NAN)), Some(y.clone()))).unwrap_err();
    assert!(matches!(e, CreditError::UnusableColumn { .. }));
    // One class.
    let e = fit(&data(Column::Numeric(array![1.0, 2.0, 3.0, 4.0]), Some(Array1::zeros(4))))
        .unwrap_err();
    assert!(matches!(&e, CreditError::InvalidTarget(m) if m.contains("one class")), "{e}");
    // No target.
    assert!(matches!(
        fit(&data(Column::Numeric(array![1.0, 2.0]), None)),
        Err(CreditError::InvalidTarget(_))
    ));
    // Unknown variable, bad selection parameters.
    let d = data(Column::Numeric(array![1.0, 2.0, 3.0, 4.0]), Some(y.clone()));
    let e = BinningProcessParams::new().variables(["nope"]).build().unwrap().fit(&d).unwrap_err();
    assert!(matches!(e, CreditError::Schema(_)));
    assert!(BinningProcessParams::new().top_k(0).build().is_err());
    assert!(BinningProcessParams::new().min_iv(f64::NAN).build().is_err());
    let fitted = fit(&d).unwrap();
    assert!(fitted.with_selection(&["nope"]).is_err());
    assert!(fitted.with_selection::<&str>(&[]).is_err());
    // Fixed splits on a categorical column.
    let e = BinningProcessParams::new()
        .fixed_splits("x", vec![1.0])
        .build()
        .unwrap()
        .fit(&data(cat("a"), Some(y)))
        .unwrap_err();
    assert!(matches!(e, CreditError::UnusableColumn { .. }));
}

#[test]
fn single_variable_errors() {
    let ob = BinningParams::new().build().unwrap();
    let empty: Array1<f64> = Array1::zeros(0);
    assert!(matches!(ob.fit_numeric("x", &empty, &empty), Err(CreditError::Empty(_))));
    let x = array![1.0, 2.0, 3.0];
    assert!(matches!(
        ob.fit_numeric("x", &x, &array![0.0, 1.0]),
        Err(CreditError::LengthMismatch { .. })
    ));
    let e = ob.fit_numeric("x", &x, &array![0.0, 2.0, 1.0]).unwrap_err();
    assert!(e.to_string().contains('2'), "{e}");
    let none: Vec<Option<&str>> = vec![];
    assert!(matches!(ob.fit_categorical("c", &none, &empty), Err(CreditError::Empty(_))));
    let groups = vec![vec!["a".to_owned()], vec!["a".to_owned()]];
    assert!(ob.fit_categorical_with_groups("c", &groups, &[Some("a")], &array![1.0]).is_err());
    let groups = vec![vec!["a".to_owned()]];
    let e = ob
        .fit_categorical_with_groups("c", &groups, &[Some("a"), Some("b")], &array![1.0, 0.0])
        .unwrap_err();
    assert!(
        matches!(&e, CreditError::UnusableColumn { reason, .. } if reason.contains("\"b\"")),
        "{e}"
    );
}

#[test]
fn saved_binnings_are_validated_when_read() {
    let d = data(
        Column::Numeric((0..100).map(f64::from).collect()),
        Some((0..100).map(|i| f64::from(i % 3 == 0)).collect()),
    );
    let fitted = BinningProcessParams::new().build().unwrap().fit(&d).unwrap();
    let text = serde_json::to_string(&fitted).unwrap();
    let back: finkit_credit::binning::FittedBinningProcess = serde_json::from_str(&text).unwrap();
    assert_eq!(back, fitted);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["selected"] = serde_json::json!([7]);
    assert!(serde_json::from_value::<finkit_credit::binning::FittedBinningProcess>(v).is_err());
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["binnings"][0]["bins"][0]["woe"] = serde_json::json!(0.5);
    assert!(serde_json::from_value::<finkit_credit::binning::FittedBinningProcess>(v).is_err());
}
