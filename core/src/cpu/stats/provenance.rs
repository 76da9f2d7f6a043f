//! What each statistic is in IBSI's terms: its family, name, symbol and permanent code.
//!
//! The reference tables of the IBSI-1 manual name every feature three ways: a long name
//! ("Joint maximum"), a symbol (`cm.joint.max`) and a four-character code (`GYBY`).
//! Tables carry them as Parquet field metadata and `medprep recipe features --json`
//! lists them, so a column can be traced to its definition without reading medprep's
//! code. Entries follow each family's output order (`FIRST_ORDER_NAMES`,
//! `INTENSITY_HISTOGRAM_NAMES`, `GLCM_NAMES`), which a test keeps in step.
//! A [`FeatureColumn`] ties one output column to its map, feature and aggregation.

use super::Aggregation;

/// One feature's IBSI identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IbsiFeature {
    /// medprep's name within its family (as in the family's `*_NAMES`).
    pub name: &'static str,
    /// IBSI's name of the feature, as in its reference tables.
    pub feature: &'static str,
    /// IBSI's symbol, e.g. `stat.mean`.
    pub symbol: &'static str,
    /// IBSI's permanent identifier, e.g. `Q4LE`.
    pub code: &'static str,
}

/// One family's IBSI identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IbsiFamily {
    /// IBSI's name of the family, as in its reference tables.
    pub family: &'static str,
    /// The features, in the family's output order.
    pub features: &'static [IbsiFeature],
}

impl IbsiFamily {
    /// The feature of this family that medprep calls `name`.
    pub fn feature(&self, name: &str) -> Option<&'static IbsiFeature> {
        self.features.iter().find(|f| f.name == name)
    }
}

impl IbsiFeature {
    /// The symbol as a column-name part: `stat.P10` → `stat_p10`.
    pub fn column_stem(&self) -> String {
        self.symbol.replace('.', "_").to_ascii_lowercase()
    }
}

/// One output column: its name and what IBSI calls it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumn {
    /// Column name: `<map>_<symbol>[_<aggregation>]`, e.g. `original_cm_joint_max_3d_avg`.
    pub name: String,
    /// The map the feature is computed on.
    pub map: String,
    /// The IBSI family.
    pub family: &'static IbsiFamily,
    /// The IBSI feature.
    pub feature: &'static IbsiFeature,
    /// The texture aggregation; `None` for first-order and histogram features.
    pub aggregation: Option<Aggregation>,
}

impl FeatureColumn {
    /// What the column is, as `(key, value)` pairs: `map`, `family`, `feature`,
    /// `ibsi_code`, `ibsi_symbol`, and for texture features `aggregation` (IBSI's
    /// wording). Tables carry them as field metadata.
    pub fn provenance(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("map", self.map.clone()),
            ("family", self.family.family.to_owned()),
            ("feature", self.feature.feature.to_owned()),
            ("ibsi_code", self.feature.code.to_owned()),
            ("ibsi_symbol", self.feature.symbol.to_owned()),
        ];
        if let Some(aggregation) = self.aggregation {
            pairs.push(("aggregation", aggregation.ibsi_name().to_owned()));
        }
        pairs
    }
}

macro_rules! features {
    ($(($name:literal, $feature:literal, $symbol:literal, $code:literal)),* $(,)?) => {
        &[$(IbsiFeature { name: $name, feature: $feature, symbol: $symbol, code: $code }),*]
    };
}

/// The intensity-based statistical features (`first_order`).
pub const FIRST_ORDER: IbsiFamily = IbsiFamily {
    family: "Intensity-based statistical features",
    features: features![
        ("mean", "Mean intensity", "stat.mean", "Q4LE"),
        ("variance", "Intensity variance", "stat.var", "ECT3"),
        ("skewness", "Intensity skewness", "stat.skew", "KE2A"),
        (
            "kurtosis",
            "(Excess) intensity kurtosis",
            "stat.kurt",
            "IPH6"
        ),
        ("median", "Median intensity", "stat.median", "Y12H"),
        ("minimum", "Minimum intensity", "stat.min", "1GSF"),
        ("p10", "10th intensity percentile", "stat.P10", "QG58"),
        ("p90", "90th intensity percentile", "stat.P90", "8DWT"),
        ("maximum", "Maximum intensity", "stat.max", "84IY"),
        ("iqr", "Intensity interquartile range", "stat.iqr", "SALO"),
        ("range", "Intensity range", "stat.range", "2OJQ"),
        (
            "mad",
            "Intensity-based mean absolute deviation",
            "stat.mad",
            "4FUA"
        ),
        (
            "rmad",
            "Intensity-based robust mean absolute deviation",
            "stat.rmad",
            "1128"
        ),
        (
            "medad",
            "Intensity-based median absolute deviation",
            "stat.medad",
            "N72L"
        ),
        (
            "cov",
            "Intensity-based coefficient of variation",
            "stat.cov",
            "7TET"
        ),
        (
            "qcod",
            "Intensity-based quartile coefficient of dispersion",
            "stat.qcod",
            "9S40"
        ),
        ("energy", "Intensity-based energy", "stat.energy", "N8CA"),
        ("rms", "Root mean square intensity", "stat.rms", "5ZWQ"),
    ],
};

/// The intensity histogram features (`intensity_histogram`; the slice pipeline's
/// `histogram` family is its entropy and uniformity).
pub const INTENSITY_HISTOGRAM: IbsiFamily = IbsiFamily {
    family: "Intensity histogram features",
    features: features![
        ("mean", "Mean discretised intensity", "ih.mean", "X6K6"),
        (
            "variance",
            "Discretised intensity variance",
            "ih.var",
            "CH89"
        ),
        (
            "skewness",
            "Discretised intensity skewness",
            "ih.skew",
            "88K1"
        ),
        (
            "kurtosis",
            "(Excess) discretised intensity kurtosis",
            "ih.kurt",
            "C3I7"
        ),
        (
            "median",
            "Median discretised intensity",
            "ih.median",
            "WIFQ"
        ),
        ("minimum", "Minimum discretised intensity", "ih.min", "1PR8"),
        // The manual's table gives this code to both the minimum and the 10th percentile.
        (
            "p10",
            "10th discretised intensity percentile",
            "ih.P10",
            "1PR8"
        ),
        (
            "p90",
            "90th discretised intensity percentile",
            "ih.P90",
            "GPMT"
        ),
        ("maximum", "Maximum discretised intensity", "ih.max", "3NCY"),
        ("mode", "Intensity histogram mode", "ih.mode", "AMMC"),
        (
            "iqr",
            "Discretised intensity interquartile range",
            "ih.iqr",
            "WR0O"
        ),
        ("range", "Discretised intensity range", "ih.range", "5Z3W"),
        (
            "mad",
            "Intensity histogram mean absolute deviation",
            "ih.mad",
            "D2ZX"
        ),
        (
            "rmad",
            "Intensity histogram robust mean absolute deviation",
            "ih.rmad",
            "WRZB"
        ),
        (
            "medad",
            "Intensity histogram median absolute deviation",
            "ih.medad",
            "4RNL"
        ),
        (
            "cov",
            "Intensity histogram coefficient of variation",
            "ih.cov",
            "CWYJ"
        ),
        (
            "qcod",
            "Intensity histogram quartile coefficient of dispersion",
            "ih.qcod",
            "SLWD"
        ),
        (
            "entropy",
            "Discretised intensity entropy",
            "ih.entropy",
            "TLU2"
        ),
        (
            "uniformity",
            "Discretised intensity uniformity",
            "ih.uniformity",
            "BJ5W"
        ),
        (
            "max_gradient",
            "Maximum histogram gradient",
            "ih.max.grad",
            "12CE"
        ),
        (
            "max_gradient_grey_level",
            "Maximum histogram gradient intensity",
            "ih.max.grad.gl",
            "8E6O"
        ),
        (
            "min_gradient",
            "Minimum histogram gradient",
            "ih.min.grad",
            "VQB3"
        ),
        (
            "min_gradient_grey_level",
            "Minimum histogram gradient intensity",
            "ih.min.grad.gl",
            "RHQZ"
        ),
    ],
};

/// The grey level co-occurrence based features (`glcm`, `glcm_aggregated`).
pub const GLCM: IbsiFamily = IbsiFamily {
    family: "Grey level co-occurrence based features",
    features: features![
        ("glcm_joint_max", "Joint maximum", "cm.joint.max", "GYBY"),
        (
            "glcm_joint_average",
            "Joint average",
            "cm.joint.avg",
            "60VM"
        ),
        (
            "glcm_joint_variance",
            "Joint variance",
            "cm.joint.var",
            "UR99"
        ),
        (
            "glcm_joint_entropy",
            "Joint entropy",
            "cm.joint.entr",
            "TU9B"
        ),
        (
            "glcm_difference_average",
            "Difference average",
            "cm.diff.avg",
            "TF7R"
        ),
        (
            "glcm_difference_variance",
            "Difference variance",
            "cm.diff.var",
            "D3YU"
        ),
        (
            "glcm_difference_entropy",
            "Difference entropy",
            "cm.diff.entr",
            "NTRS"
        ),
        ("glcm_sum_average", "Sum average", "cm.sum.avg", "ZGXS"),
        ("glcm_sum_variance", "Sum variance", "cm.sum.var", "OEEB"),
        ("glcm_sum_entropy", "Sum entropy", "cm.sum.entr", "P6QZ"),
        (
            "glcm_angular_second_moment",
            "Angular second moment",
            "cm.energy",
            "8ZQL"
        ),
        ("glcm_contrast", "Contrast", "cm.contrast", "ACUI"),
        (
            "glcm_dissimilarity",
            "Dissimilarity",
            "cm.dissimilarity",
            "8S9J"
        ),
        (
            "glcm_inverse_difference",
            "Inverse difference",
            "cm.inv.diff",
            "IB1Z"
        ),
        (
            "glcm_normalised_inverse_difference",
            "Normalised inverse difference",
            "cm.inv.diff.norm",
            "NDRX"
        ),
        (
            "glcm_inverse_difference_moment",
            "Inverse difference moment",
            "cm.inv.diff.mom",
            "WF0Z"
        ),
        (
            "glcm_normalised_inverse_difference_moment",
            "Normalised inverse difference moment",
            "cm.inv.diff.mom.norm",
            "1QCO"
        ),
        (
            "glcm_inverse_variance",
            "Inverse variance",
            "cm.inv.var",
            "E8JP"
        ),
        ("glcm_correlation", "Correlation", "cm.corr", "NI2N"),
        (
            "glcm_autocorrelation",
            "Autocorrelation",
            "cm.auto.corr",
            "QWB0"
        ),
        (
            "glcm_cluster_tendency",
            "Cluster tendency",
            "cm.clust.tend",
            "DG8W"
        ),
        (
            "glcm_cluster_shade",
            "Cluster shade",
            "cm.clust.shade",
            "7NFM"
        ),
        (
            "glcm_cluster_prominence",
            "Cluster prominence",
            "cm.clust.prom",
            "AE86"
        ),
        (
            "glcm_information_correlation_1",
            "Information correlation 1",
            "cm.info.corr.1",
            "R8DG"
        ),
        (
            "glcm_information_correlation_2",
            "Information correlation 2",
            "cm.info.corr.2",
            "JN9H"
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::stats::{
        FIRST_ORDER_NAMES, GLCM_NAMES, HISTOGRAM_NAMES, INTENSITY_HISTOGRAM_NAMES,
    };

    #[test]
    fn every_family_lists_its_features_in_output_order() {
        let names = |f: &IbsiFamily| f.features.iter().map(|f| f.name).collect::<Vec<_>>();
        assert_eq!(names(&FIRST_ORDER), FIRST_ORDER_NAMES);
        assert_eq!(names(&INTENSITY_HISTOGRAM), INTENSITY_HISTOGRAM_NAMES);
        assert_eq!(names(&GLCM), GLCM_NAMES);
        assert!(HISTOGRAM_NAMES
            .iter()
            .all(|n| INTENSITY_HISTOGRAM.feature(n).is_some()));
        assert_eq!(GLCM.features[0].column_stem(), "cm_joint_max");
        assert_eq!(FIRST_ORDER.features[6].column_stem(), "stat_p10");
    }
}
