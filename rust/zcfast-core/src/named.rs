//! Serde support for the enums that settings and formulas write by name.

/// Implements `Serialize`/`Deserialize` for an enum with `name()` and `from_name()`, so that
/// settings carry `"spearman"` or `"mean_layers"` rather than variant indices, and an unknown
/// name is reported with the list of known ones.
macro_rules! serde_by_name {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let name = String::deserialize(deserializer)?;
                Self::from_name(&name).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use serde_by_name;
