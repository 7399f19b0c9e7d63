//! Open enums for the wire: the API sends enum names by default and integers when asked
//! (`$alt=json;enum-encoding=int`, and the GAPIC transport sends integers in requests), and a
//! newer server may send a value this build has never heard of. Each enum here decodes from a
//! name or a number, keeps an unknown value instead of failing, and encodes as its name.

/// Declares an open wire enum. The first variant must be the `_UNSPECIFIED` value numbered 0.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $num:literal => $wire:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this build does not know: kept as the server sent it.
            Unrecognized(String),
        }

        impl $name {
            /// Every known value with its wire name and number.
            pub const ALL: &'static [($name, &'static str, i32)] = &[$(($name::$variant, $wire, $num)),+];

            /// The wire name (what the API prints by default).
            pub fn name(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unrecognized(raw) => raw.as_str(),
                }
            }

            /// The proto number, if the value is known.
            pub fn number(&self) -> Option<i32> {
                match self {
                    $($name::$variant => Some($num),)+
                    $name::Unrecognized(_) => None,
                }
            }

            /// Decodes a wire name; unknown names are kept as [`Self::Unrecognized`].
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($wire => $name::$variant,)+
                    other => $name::Unrecognized(other.to_owned()),
                }
            }

            /// Decodes a proto number; unknown numbers are kept as [`Self::Unrecognized`].
            pub fn from_number(number: i64) -> Self {
                match number {
                    $($num => $name::$variant,)+
                    other => $name::Unrecognized(other.to_string()),
                }
            }

            /// True for a value this build knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unrecognized(_))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::from_number(0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visit;
                impl serde::de::Visitor<'_> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "a {} name or number", stringify!($name))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_name(v))
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        Ok($name::from_number(v))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        Ok(i64::try_from(v).map($name::from_number).unwrap_or_else(|_| $name::Unrecognized(v.to_string())))
                    }
                }
                deserializer.deserialize_any(Visit)
            }
        }
    };
}

pub(crate) use wire_enum;
