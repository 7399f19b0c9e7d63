//! A form's text fields by name. Each form's fields are an enum (`TuningField`,
//! `GenerationField`, `ModelField`), so code says which field it means and never counts
//! positions; the buffers are text because they hold what was typed, which the domain then
//! parses and validates into typed settings.

use std::marker::PhantomData;

/// The fields of one form, in the order they are drawn, and the words beside them.
pub trait FormField: Copy + Eq + std::fmt::Debug + 'static {
    /// Every field, in the order drawn; each variant exactly once.
    const ALL: &'static [Self];

    /// The label drawn beside the field.
    fn label(self) -> &'static str;

    /// How many ←/→ choices follow the text fields (the source model; the adapter size too).
    const CHOICES: u8 = 1;

    /// Where the field is drawn, from 0.
    fn position(self) -> usize {
        // Every variant is in ALL (the trait's contract), so 0 is never taken for a real one.
        Self::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// The typed text of each field of `F`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields<F: FormField> {
    values: Vec<String>,
    field: PhantomData<F>,
}

impl<F: FormField> Default for Fields<F> {
    fn default() -> Self {
        Fields {
            values: vec![String::new(); F::ALL.len()],
            field: PhantomData,
        }
    }
}

impl<F: FormField> Fields<F> {
    /// The text of one field.
    pub fn get(&self, field: F) -> &str {
        self.values.get(field.position()).map_or("", String::as_str)
    }

    /// Replaces the text of one field.
    pub fn set(&mut self, field: F, text: impl Into<String>) {
        if let Some(value) = self.values.get_mut(field.position()) {
            *value = text.into();
        }
    }

    /// The buffer of one field, to edit in place.
    pub fn get_mut(&mut self, field: F) -> &mut String {
        let i = field.position();
        if i >= self.values.len() {
            self.values.resize(i + 1, String::new());
        }
        &mut self.values[i]
    }

    /// Every field with its text, in the order drawn.
    pub fn iter(&self) -> impl Iterator<Item = (F, &str)> {
        F::ALL.iter().copied().map(|f| (f, self.get(f)))
    }
}

/// Where the keys go in a form of text fields followed by choices made with ←/→ (the source
/// model, the safety threshold, the adapter size), numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus<F: FormField> {
    Text(F),
    Choice(u8),
}

impl<F: FormField> Default for Focus<F> {
    fn default() -> Self {
        F::ALL.first().map_or(Focus::Choice(0), |f| Focus::Text(*f))
    }
}

impl<F: FormField> Focus<F> {
    /// The next field down (Tab), wrapping from the last choice to the first field.
    pub fn next(self) -> Self {
        match self {
            Focus::Text(f) => F::ALL
                .get(f.position() + 1)
                .map_or(Focus::Choice(0), |n| Focus::Text(*n)),
            Focus::Choice(i) if i + 1 < F::CHOICES => Focus::Choice(i + 1),
            Focus::Choice(_) => Focus::default(),
        }
    }

    /// The next field up (Shift-Tab), wrapping from the first field to the last choice.
    pub fn previous(self) -> Self {
        let last = Focus::Choice(F::CHOICES.saturating_sub(1));
        match self {
            Focus::Text(f) if f.position() == 0 => last,
            Focus::Text(f) => Focus::Text(F::ALL[f.position() - 1]),
            Focus::Choice(i) if i > 0 => Focus::Choice(i - 1),
            Focus::Choice(_) => F::ALL.last().map_or(last, |l| Focus::Text(*l)),
        }
    }

    /// The text field focused, if it is one.
    pub fn text(self) -> Option<F> {
        match self {
            Focus::Text(f) => Some(f),
            Focus::Choice(_) => None,
        }
    }
}

/// The field after `field` (Tab), wrapping, for forms with text fields only.
pub fn next_field<F: FormField>(field: F) -> F {
    F::ALL[(field.position() + 1) % F::ALL.len()]
}

/// The field before `field` (Shift-Tab), wrapping, for forms with text fields only.
pub fn previous_field<F: FormField>(field: F) -> F {
    F::ALL[(field.position() + F::ALL.len() - 1) % F::ALL.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Three {
        A,
        B,
        C,
    }

    impl FormField for Three {
        const ALL: &'static [Self] = &[Three::A, Three::B, Three::C];
        fn label(self) -> &'static str {
            match self {
                Three::A => "a",
                Three::B => "b",
                Three::C => "c",
            }
        }
    }

    #[test]
    fn fields_are_read_and_written_by_name() {
        let mut fields = Fields::<Three>::default();
        fields.set(Three::B, "two");
        fields.get_mut(Three::C).push('3');
        assert_eq!(
            fields.iter().collect::<Vec<_>>(),
            vec![(Three::A, ""), (Three::B, "two"), (Three::C, "3")]
        );
    }

    #[test]
    fn focus_cycles_through_the_fields_and_the_choice() {
        let mut focus = Focus::<Three>::default();
        let mut seen = vec![focus];
        for _ in 0..4 {
            focus = focus.next();
            seen.push(focus);
        }
        assert_eq!(
            seen,
            vec![
                Focus::Text(Three::A),
                Focus::Text(Three::B),
                Focus::Text(Three::C),
                Focus::Choice(0),
                Focus::Text(Three::A)
            ]
        );
        assert_eq!(Focus::Text(Three::A).previous(), Focus::Choice(0));
        assert_eq!(Focus::<Three>::Choice(0).previous(), Focus::Text(Three::C));
        assert_eq!(next_field(Three::C), Three::A);
        assert_eq!(previous_field(Three::A), Three::C);
    }
}
