//! finkit's JSON format of a boosted model (`finkit-boosted/1`) with a SHA-256 checksum, and the
//! XGBoost JSON import.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::model::{BoostedModel, Origin};
use super::tree::{LEAF, Node, Tree};
use crate::CreditError;
use crate::scorecard::content_checksum;

/// The format tag of a saved boosted model.
pub const FORMAT: &str = "finkit-boosted/1";

/// One tree as arrays, one entry per node (`feature` −1 for a leaf).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTree {
    feature: Vec<i64>,
    threshold: Vec<f32>,
    left: Vec<u32>,
    right: Vec<u32>,
    default_left: Vec<bool>,
    value: Vec<f64>,
    cover: Vec<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    features: Vec<String>,
    base_margin: f64,
    monotone: Vec<i8>,
    origin: Origin,
    reason_codes: usize,
    trees: Vec<RawTree>,
}

fn raw_tree(t: &Tree) -> RawTree {
    let n = &t.nodes;
    RawTree {
        feature: n.iter().map(|x| if x.is_leaf() { -1 } else { i64::from(x.feature) }).collect(),
        threshold: n.iter().map(|x| x.threshold).collect(),
        left: n.iter().map(|x| x.left).collect(),
        right: n.iter().map(|x| x.right).collect(),
        default_left: n.iter().map(|x| x.default_left).collect(),
        value: n.iter().map(|x| x.value).collect(),
        cover: n.iter().map(|x| x.cover).collect(),
    }
}

fn tree_of(raw: RawTree, which: usize) -> Result<Tree, CreditError> {
    let len = raw.feature.len();
    let lens = [
        raw.threshold.len(),
        raw.left.len(),
        raw.right.len(),
        raw.default_left.len(),
        raw.value.len(),
        raw.cover.len(),
    ];
    if lens.iter().any(|&l| l != len) {
        return Err(CreditError::InvalidModel(format!(
            "tree {which}: node arrays differ in length"
        )));
    }
    let mut nodes = Vec::with_capacity(len);
    for i in 0..len {
        let feature = match raw.feature[i] {
            -1 => LEAF,
            f if f >= 0 && f < i64::from(u32::MAX) => f as u32,
            f => {
                return Err(CreditError::InvalidModel(format!(
                    "tree {which}: node {i}: feature {f} is not an index"
                )));
            }
        };
        nodes.push(Node {
            feature,
            threshold: raw.threshold[i],
            left: raw.left[i],
            right: raw.right[i],
            default_left: raw.default_left[i],
            value: raw.value[i],
            cover: raw.cover[i],
        });
    }
    Ok(Tree { nodes })
}

impl BoostedModel {
    /// The model as JSON: `{"format": "finkit-boosted/1", "checksum": …, "model": {…}}`, the
    /// checksum the SHA-256 of the canonical content (as the scorecard's,
    /// [`content_checksum`]). Floats are written in shortest round-trip form, so
    /// [`BoostedModel::from_json`] gives back the same bits.
    ///
    /// # Errors
    ///
    /// [`CreditError::Json`] if serialisation fails (it does not for a valid model).
    pub fn to_json(&self) -> Result<String, CreditError> {
        let raw = RawModel {
            name: self.name.clone(),
            features: self.features.clone(),
            base_margin: self.base_margin,
            monotone: self.monotone.clone(),
            origin: self.origin.clone(),
            reason_codes: self.reason_codes,
            trees: self.trees.iter().map(raw_tree).collect(),
        };
        let content = serde_json::to_value(&raw)?;
        let mut file = serde_json::Map::new();
        file.insert("format".into(), Json::String(FORMAT.into()));
        file.insert("checksum".into(), Json::String(content_checksum(&content)));
        file.insert("model".into(), content);
        Ok(serde_json::to_string(&Json::Object(file))?)
    }

    /// Reads a model written by [`BoostedModel::to_json`]: the format tag and checksum must
    /// match and the trees must be well formed.
    ///
    /// # Errors
    ///
    /// [`CreditError::Json`] for text that is not JSON and [`CreditError::InvalidModel`] for a
    /// wrong format, a checksum mismatch or a malformed tree.
    pub fn from_json(text: &str) -> Result<BoostedModel, CreditError> {
        let file: Json = serde_json::from_str(text)?;
        let format = file.get("format").and_then(Json::as_str);
        if format != Some(FORMAT) {
            return Err(CreditError::InvalidModel(format!(
                "format {format:?}, expected {FORMAT:?}"
            )));
        }
        let stored = file.get("checksum").and_then(Json::as_str).unwrap_or_default();
        let content = file
            .get("model")
            .ok_or_else(|| CreditError::InvalidModel("no \"model\" field".into()))?;
        let actual = content_checksum(content);
        if stored != actual {
            return Err(CreditError::InvalidModel(format!(
                "checksum mismatch (stored {stored:?}, content {actual}): the file was edited"
            )));
        }
        let raw: RawModel = serde_json::from_value(content.clone())
            .map_err(|e| CreditError::InvalidModel(e.to_string()))?;
        let trees = raw
            .trees
            .into_iter()
            .enumerate()
            .map(|(i, t)| tree_of(t, i))
            .collect::<Result<Vec<_>, _>>()?;
        BoostedModel::new(
            raw.name,
            raw.features,
            raw.base_margin,
            trees,
            raw.monotone,
            raw.origin,
            raw.reason_codes,
        )
    }
}
