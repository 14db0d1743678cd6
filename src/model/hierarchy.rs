//! The shape of the hierarchy: levels, units, peer groups and their index arithmetic.
//! Units are numbered level by level (top first); a peer group is the children of one
//! parent unit, so its units and cadres are contiguous.

use std::ops::Range;

use crate::params::LevelSpec;
use crate::rng::MAX_STREAM_GROUP;

/// One level of the hierarchy with its derived counts and offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub name: String,
    /// Units under each unit of the level above.
    pub branching: usize,
    pub cadres_per_unit: usize,
    /// Units at this level.
    pub units: usize,
    /// Global index of the level's first unit.
    pub first_unit: usize,
    /// Peer groups at this level (units of the level above; 1 for the top level).
    pub groups: usize,
    /// Global index of the level's first peer group.
    pub first_group: usize,
    /// Cadres at this level.
    pub cadres: usize,
}

impl Level {
    /// Cadres in one peer group of this level.
    pub fn group_size(&self) -> usize {
        self.branching * self.cadres_per_unit
    }
}

/// The whole hierarchy.
#[derive(Clone, Debug, PartialEq)]
pub struct Hierarchy {
    pub levels: Vec<Level>,
    pub units: usize,
    pub cadres: usize,
    pub groups: usize,
}

/// A hierarchy too large for the index types of the model.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HierarchyError {
    #[error("describe more than {MAX_CADRES} cadres (level \"{0}\" alone overflows)")]
    TooManyCadres(String),
    #[error("describe more than {MAX_STREAM_GROUP} peer groups")]
    TooManyGroups,
}

/// Most cadres a hierarchy may have, whatever the memory (indices stay in u32 range).
pub const MAX_CADRES: u64 = u32::MAX as u64;

impl Hierarchy {
    /// Build the shape; fails with a message when counts overflow the supported range.
    pub fn new(specs: &[LevelSpec]) -> Result<Self, HierarchyError> {
        let mut levels = Vec::with_capacity(specs.len());
        let (mut units_above, mut first_unit, mut first_group, mut cadres) =
            (1u64, 0u64, 0u64, 0u64);
        for spec in specs {
            let units = units_above.checked_mul(spec.branching);
            let level_cadres = units.and_then(|units| units.checked_mul(spec.cadres));
            let total = level_cadres.and_then(|c| c.checked_add(cadres));
            let (units, level_cadres, total) = match (units, level_cadres, total) {
                (Some(u), Some(c), Some(t)) if t <= MAX_CADRES => (u, c, t),
                _ => return Err(HierarchyError::TooManyCadres(spec.name.clone())),
            };
            levels.push(Level {
                name: spec.name.clone(),
                branching: spec.branching as usize,
                cadres_per_unit: spec.cadres as usize,
                units: units as usize,
                first_unit: first_unit as usize,
                groups: units_above as usize,
                first_group: first_group as usize,
                cadres: level_cadres as usize,
            });
            first_unit += units;
            first_group += units_above;
            cadres = total;
            units_above = units;
        }
        if first_group > MAX_STREAM_GROUP {
            return Err(HierarchyError::TooManyGroups);
        }
        Ok(Hierarchy {
            levels,
            units: first_unit as usize,
            cadres: cadres as usize,
            groups: first_group as usize,
        })
    }

    /// Level of a unit.
    pub fn level_of_unit(&self, unit: usize) -> usize {
        self.levels
            .iter()
            .rposition(|level| level.first_unit <= unit)
            .unwrap_or(0)
    }

    /// Parent unit (None for top-level units, whose parent is the centre).
    pub fn parent(&self, unit: usize) -> Option<usize> {
        let level = self.level_of_unit(unit);
        if level == 0 {
            return None;
        }
        let here = &self.levels[level];
        let above = &self.levels[level - 1];
        Some(above.first_unit + (unit - here.first_unit) / here.branching)
    }

    /// Child units (empty for the lowest level).
    pub fn children(&self, unit: usize) -> Range<usize> {
        let level = self.level_of_unit(unit);
        match self.levels.get(level + 1) {
            None => 0..0,
            Some(below) => {
                let start =
                    below.first_unit + (unit - self.levels[level].first_unit) * below.branching;
                start..start + below.branching
            }
        }
    }

    /// (level, units) of peer group `group`.
    pub fn group_units(&self, group: usize) -> (usize, Range<usize>) {
        let level = self
            .levels
            .iter()
            .rposition(|level| level.first_group <= group)
            .unwrap_or(0);
        let shape = &self.levels[level];
        let start = shape.first_unit + (group - shape.first_group) * shape.branching;
        (level, start..start + shape.branching)
    }

    /// Largest peer group.
    pub fn max_group_size(&self) -> usize {
        self.levels.iter().map(Level::group_size).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::HierarchyParams;

    #[test]
    fn default_hierarchy_counts() {
        let hierarchy = Hierarchy::new(&HierarchyParams::default().levels).unwrap();
        let units: Vec<usize> = hierarchy.levels.iter().map(|l| l.units).collect();
        assert_eq!(units, vec![4, 16, 64, 320]);
        assert_eq!(hierarchy.cadres, 4 * 6 + 16 * 8 + 64 * 10 + 320 * 12);
        assert_eq!(hierarchy.cadres, 4632);
        let groups: Vec<usize> = hierarchy.levels.iter().map(|l| l.groups).collect();
        assert_eq!(groups, vec![1, 4, 16, 64]);
        assert_eq!(hierarchy.levels[3].group_size(), 60);
        assert_eq!(hierarchy.levels[0].group_size(), 24);
    }

    #[test]
    fn parents_children_and_groups_agree() {
        let hierarchy = Hierarchy::new(&HierarchyParams::default().levels).unwrap();
        for unit in 0..hierarchy.units {
            for child in hierarchy.children(unit) {
                assert_eq!(hierarchy.parent(child), Some(unit));
            }
        }
        // Peer group of a township unit = the townships under the same county.
        let (level, units) = hierarchy.group_units(hierarchy.levels[3].first_group + 2);
        assert_eq!(level, 3);
        let county = hierarchy.parent(units.start).unwrap();
        assert!(units.clone().all(|u| hierarchy.parent(u) == Some(county)));
        assert_eq!(hierarchy.children(county), units);
        assert_eq!(hierarchy.parent(0), None);
    }

    #[test]
    fn absurd_sizes_are_rejected() {
        let level = |b| LevelSpec {
            name: "x".into(),
            branching: b,
            cadres: 1000,
        };
        assert!(Hierarchy::new(&[level(1 << 40), level(1 << 40)]).is_err());
    }
}
