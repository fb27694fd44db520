//! Import of XGBoost's JSON model format (`Booster.save_model("m.json")`), `binary:logistic`.
//!
//! - Splits: a row goes left when `(x as f32) < split_condition` (XGBoost reads features as
//!   `float32`), a missing value goes to `default_left`; a leaf's value is its
//!   `split_condition` (learning rate already applied).
//! - Base score: `learner_model_param.base_score` is a probability for `binary:logistic` (in
//!   XGBoost 3.x written as `"[3.8617887E-2]"`, before as `"3.8617887E-2"`); the base margin is
//!   its logit.
//! - Covers (`sum_hessian`) feed TreeSHAP, as in XGBoost's `pred_contribs`.
//! - Refused with [`CreditError::InvalidModel`]: other objectives, `dart` or linear boosters,
//!   multi-class or multi-target models, categorical splits, vector leaves, malformed trees.

use serde_json::Value as Json;

use super::model::{BoostedModel, Origin};
use super::tree::{LEAF, Node, Tree};
use crate::CreditError;

fn bad(msg: impl Into<String>) -> CreditError {
    CreditError::InvalidModel(format!("xgboost model: {}", msg.into()))
}

fn at<'a>(v: &'a Json, path: &[&str]) -> Result<&'a Json, CreditError> {
    let mut cur = v;
    for (k, key) in path.iter().enumerate() {
        cur = cur.get(key).ok_or_else(|| bad(format!("no field {}", path[..=k].join("."))))?;
    }
    Ok(cur)
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Result<&'a str, CreditError> {
    at(v, path)?.as_str().ok_or_else(|| bad(format!("{} is not a string", path.join("."))))
}

/// A number written as a JSON number, a string, or a one-element bracketed string.
fn loose_number(v: &Json, what: &str) -> Result<f64, CreditError> {
    match v {
        Json::Number(n) => n.as_f64().ok_or_else(|| bad(format!("{what} is not a number"))),
        Json::String(s) => {
            let t = s.trim().trim_start_matches('[').trim_end_matches(']').trim();
            if t.contains(',') {
                return Err(bad(format!("{what} {s:?} has several values (multi-target model)")));
            }
            t.parse::<f64>().map_err(|_| bad(format!("{what} {s:?} is not a number")))
        }
        _ => Err(bad(format!("{what} is not a number"))),
    }
}

fn array<'a>(tree: &'a Json, key: &str, which: usize) -> Result<&'a [Json], CreditError> {
    tree.get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| bad(format!("tree {which}: no array {key:?}")))
}

fn int(v: &Json, key: &str, which: usize, node: usize) -> Result<i64, CreditError> {
    match v {
        Json::Bool(b) => Ok(i64::from(*b)),
        _ => {
            v.as_i64().ok_or_else(|| bad(format!("tree {which}: {key}[{node}] is not an integer")))
        }
    }
}

fn float(v: &Json, key: &str, which: usize, node: usize) -> Result<f64, CreditError> {
    v.as_f64().ok_or_else(|| bad(format!("tree {which}: {key}[{node}] is not a number")))
}

/// Reads one tree, renumbering reachable nodes breadth-first from the root (XGBoost may keep
/// deleted nodes after pruning).
fn tree_of(t: &Json, which: usize, n_features: usize) -> Result<Tree, CreditError> {
    let left = array(t, "left_children", which)?;
    let right = array(t, "right_children", which)?;
    let split = array(t, "split_indices", which)?;
    let cond = array(t, "split_conditions", which)?;
    let default_left = array(t, "default_left", which)?;
    let hess = array(t, "sum_hessian", which)?;
    let n = left.len();
    if n == 0 {
        return Err(bad(format!("tree {which}: no nodes")));
    }
    for (key, a) in [
        ("right_children", right),
        ("split_indices", split),
        ("split_conditions", cond),
        ("default_left", default_left),
        ("sum_hessian", hess),
    ] {
        if a.len() != n {
            return Err(bad(format!("tree {which}: {key} has {} entries, expected {n}", a.len())));
        }
    }
    if let Some(types) = t.get("split_type").and_then(Json::as_array)
        && types.iter().any(|x| x.as_i64() != Some(0))
    {
        return Err(bad(format!("tree {which}: categorical splits are not supported")));
    }
    if let Some(size) =
        t.pointer("/tree_param/size_leaf_vector").map(|v| loose_number(v, "size_leaf_vector"))
        && size? > 1.0
    {
        return Err(bad(format!("tree {which}: vector leaves are not supported")));
    }
    let mut order = vec![0usize];
    let mut new_id = vec![u32::MAX; n];
    new_id[0] = 0;
    let mut nodes: Vec<Node> = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let i = order[k];
        k += 1;
        let l = int(&left[i], "left_children", which, i)?;
        let cover = float(&hess[i], "sum_hessian", which, i)?;
        let value = float(&cond[i], "split_conditions", which, i)?;
        if l == -1 {
            // XGBoost keeps leaf values as float32.
            nodes.push(Node::leaf(f64::from(value as f32), f64::from(cover as f32)));
            continue;
        }
        let r = int(&right[i], "right_children", which, i)?;
        let mut ids = [0u32; 2];
        for (slot, c) in [l, r].into_iter().enumerate() {
            if c < 0 || c as usize >= n {
                return Err(bad(format!("tree {which}: node {i}: child {c} out of range")));
            }
            let c = c as usize;
            if new_id[c] != u32::MAX || c == 0 {
                return Err(bad(format!("tree {which}: node {c} is reached twice")));
            }
            if order.len() > n {
                return Err(bad(format!("tree {which}: cyclic structure")));
            }
            new_id[c] = order.len() as u32;
            ids[slot] = order.len() as u32;
            order.push(c);
        }
        let f = int(&split[i], "split_indices", which, i)?;
        if f < 0 || f as usize >= n_features {
            return Err(bad(format!(
                "tree {which}: node {i}: split feature {f} out of range ({n_features} features)"
            )));
        }
        nodes.push(Node {
            feature: f as u32,
            threshold: value as f32,
            left: ids[0],
            right: ids[1],
            default_left: int(&default_left[i], "default_left", which, i)? != 0,
            value: 0.0,
            cover: f64::from(cover as f32),
        });
        debug_assert!(nodes.last().is_some_and(|x| x.feature != LEAF));
    }
    Ok(Tree { nodes })
}

impl BoostedModel {
    /// Imports an XGBoost JSON model (`binary:logistic`, `gbtree`); see the module docs of
    /// `boosting::xgboost` for the conventions. Feature names come from the model
    /// (`feature_names`), or are `f0`, `f1`, … when it has none.
    ///
    /// # Errors
    ///
    /// [`CreditError::Json`] for text that is not JSON, [`CreditError::InvalidModel`] naming
    /// what is wrong or unsupported otherwise.
    pub fn from_xgboost_json(text: &str) -> Result<BoostedModel, CreditError> {
        let v: Json = serde_json::from_str(text)?;
        let learner = at(&v, &["learner"])?;
        let objective = str_at(learner, &["objective", "name"])?;
        if objective != "binary:logistic" {
            return Err(bad(format!(
                "objective {objective:?} is not supported (only \"binary:logistic\")"
            )));
        }
        let booster = str_at(learner, &["gradient_booster", "name"])?;
        if booster != "gbtree" {
            return Err(bad(format!("booster {booster:?} is not supported (only \"gbtree\")")));
        }
        let param = at(learner, &["learner_model_param"])?;
        for key in ["num_class", "num_target"] {
            if let Some(x) = param.get(key) {
                let k = loose_number(x, key)?;
                if k > 1.0 {
                    return Err(bad(format!(
                        "{key} = {k}: multi-class/target models are not supported"
                    )));
                }
            }
        }
        let base_score = loose_number(at(param, &["base_score"])?, "base_score")?;
        if !(base_score > 0.0 && base_score < 1.0) {
            return Err(bad(format!("base_score {base_score} is not a probability in (0, 1)")));
        }
        let base_margin = (base_score / (1.0 - base_score)).ln();
        let n_features = loose_number(at(param, &["num_feature"])?, "num_feature")?;
        if !((1.0..=1e7).contains(&n_features) && n_features.fract() == 0.0) {
            return Err(bad(format!("num_feature {n_features} is not a positive count")));
        }
        let n_features = n_features as usize;
        let names: Vec<String> = match learner.get("feature_names").and_then(Json::as_array) {
            Some(a) if !a.is_empty() => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad("a feature name is not a string"))
                })
                .collect::<Result<_, _>>()?,
            _ => (0..n_features).map(|i| format!("f{i}")).collect(),
        };
        if names.len() != n_features {
            return Err(bad(format!("{} feature names for num_feature {n_features}", names.len())));
        }
        if let Some(types) = learner.get("feature_types").and_then(Json::as_array)
            && let Some(t) = types.iter().find(|t| t.as_str() == Some("c"))
        {
            return Err(bad(format!("feature type {t} (categorical) is not supported")));
        }
        let trees_json = at(learner, &["gradient_booster", "model", "trees"])?
            .as_array()
            .ok_or_else(|| bad("gradient_booster.model.trees is not an array"))?;
        let trees = trees_json
            .iter()
            .enumerate()
            .map(|(i, t)| tree_of(t, i, n_features))
            .collect::<Result<Vec<_>, _>>()?;
        let version = v
            .get("version")
            .and_then(Json::as_array)
            .map(|a| a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("."))
            .unwrap_or_else(|| "unknown".into());
        BoostedModel::new(
            "xgboost".into(),
            names,
            base_margin,
            trees,
            vec![0; n_features],
            Origin::XGBoost { version },
            4,
        )
    }
}
