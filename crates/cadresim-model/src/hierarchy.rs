//! The shape of the hierarchy (shared by scenario validation and the model): levels, units, peer groups and their index arithmetic, for a
//! uniform hierarchy (every unit of a level has the same number of children) and for a tree
//! of units read from data. Units are numbered level by level (top first) and, within a
//! level, by parent, so a peer group (the children of one parent unit) has contiguous units
//! and cadres, and the peer groups in index order tile the units in order.

use std::ops::Range;

use crate::params::{HierarchyParams, UnitTree};
use crate::rng::MAX_STREAM_GROUP;

/// One level of the hierarchy with its derived counts and offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub name: String,
    pub cadres_per_unit: usize,
    /// Units at this level.
    pub units: usize,
    /// Global index of the level's first unit.
    pub first_unit: usize,
    /// Peer groups at this level (units of the level above with children; 1 at the top).
    pub groups: usize,
    /// Global index of the level's first peer group.
    pub first_group: usize,
    /// Cadres at this level.
    pub cadres: usize,
    /// Children of every unit of the level above, when they all have the same number
    /// (always for a uniform hierarchy; for the top level, the units of the level).
    pub branching: Option<usize>,
}

/// The units of one peer group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupShape {
    pub level: usize,
    pub first_unit: usize,
    pub units: usize,
}

/// The whole hierarchy.
#[derive(Clone, Debug, PartialEq)]
pub struct Hierarchy {
    pub levels: Vec<Level>,
    pub units: usize,
    pub cadres: usize,
    pub groups: usize,
    /// Parent of each unit (`NO_PARENT` for the top level).
    parent: Vec<u32>,
    /// First child and number of children of each unit.
    first_child: Vec<u32>,
    child_count: Vec<u32>,
    group_shapes: Vec<GroupShape>,
    /// Row of each unit in the tree's file order (empty for a uniform hierarchy).
    rows: Vec<u32>,
}

const NO_PARENT: u32 = u32::MAX;

/// A hierarchy too large for the index types of the model.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HierarchyError {
    #[error("describe more than {MAX_CADRES} cadres (level \"{0}\" alone overflows)")]
    TooManyCadres(String),
    #[error("describe more than {MAX_STREAM_GROUP} peer groups")]
    TooManyGroups,
    #[error("describe more than {MAX_UNITS} units")]
    TooManyUnits,
}

/// Most cadres a hierarchy may have, whatever the memory (indices stay in u32 range).
pub const MAX_CADRES: u64 = u32::MAX as u64;
/// Most units a hierarchy may have (unit indices are u32).
pub const MAX_UNITS: u64 = u32::MAX as u64 - 1;

/// Counts of a hierarchy, computed without building it.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    pub levels: usize,
    /// Units of each level.
    pub level_units: Vec<u64>,
    pub units: u64,
    pub cadres: u64,
    pub groups: u64,
}

impl Size {
    /// Count units, cadres and peer groups; fails when they overflow the supported range.
    pub fn of(params: &HierarchyParams) -> Result<Size, HierarchyError> {
        let size = match &params.tree {
            Some(tree) => tree_size(params, &tree.units)?,
            None => uniform_size(params)?,
        };
        if size.units > MAX_UNITS {
            return Err(HierarchyError::TooManyUnits);
        }
        if size.groups > MAX_STREAM_GROUP {
            return Err(HierarchyError::TooManyGroups);
        }
        Ok(size)
    }
}

fn uniform_size(params: &HierarchyParams) -> Result<Size, HierarchyError> {
    let (mut units_above, mut units, mut groups, mut cadres) = (1u64, 0u64, 0u64, 0u64);
    let mut level_units = Vec::with_capacity(params.levels.len());
    for spec in &params.levels {
        let here = units_above.checked_mul(spec.branching.unwrap_or(1));
        let level_cadres = here.and_then(|here| here.checked_mul(spec.cadres));
        let total = level_cadres.and_then(|c| c.checked_add(cadres));
        match (here, total) {
            (Some(here), Some(total)) if total <= MAX_CADRES && here <= MAX_UNITS => {
                groups += units_above;
                units += here;
                level_units.push(here);
                cadres = total;
                units_above = here;
            }
            _ => return Err(HierarchyError::TooManyCadres(spec.name.clone())),
        }
    }
    Ok(Size {
        levels: params.levels.len(),
        level_units,
        units,
        cadres,
        groups,
    })
}

fn tree_size(params: &HierarchyParams, tree: &UnitTree) -> Result<Size, HierarchyError> {
    let mut per_level = vec![0u64; params.levels.len()];
    let mut has_children = vec![false; tree.len()];
    for (row, &level) in tree.level.iter().enumerate() {
        per_level[level as usize] += 1;
        if let Some(parent) = tree.parent[row] {
            has_children[parent as usize] = true;
        }
    }
    let mut cadres = 0u64;
    for (spec, units) in params.levels.iter().zip(&per_level) {
        cadres += units * spec.cadres;
        if cadres > MAX_CADRES {
            return Err(HierarchyError::TooManyCadres(spec.name.clone()));
        }
    }
    let parents = has_children.iter().filter(|&&has| has).count() as u64;
    Ok(Size {
        levels: params.levels.len(),
        level_units: per_level,
        units: tree.len() as u64,
        cadres,
        groups: parents + u64::from(!tree.is_empty()),
    })
}

impl Hierarchy {
    /// Build the shape; fails with a message when counts overflow the supported range.
    pub fn new(params: &HierarchyParams) -> Result<Self, HierarchyError> {
        Size::of(params)?;
        let (parent, rows, units_per_level) = match &params.tree {
            Some(tree) => tree_order(&tree.units, params.levels.len()),
            None => uniform_order(params),
        };
        Ok(Self::from_parents(params, parent, rows, &units_per_level))
    }

    /// Children, groups and level offsets from each unit's parent (units in hierarchy order).
    fn from_parents(
        params: &HierarchyParams,
        parent: Vec<u32>,
        rows: Vec<u32>,
        units_per_level: &[usize],
    ) -> Self {
        let units = parent.len();
        let mut first_child = vec![0u32; units];
        let mut child_count = vec![0u32; units];
        for (unit, &p) in parent.iter().enumerate().rev() {
            if p != NO_PARENT {
                first_child[p as usize] = unit as u32;
                child_count[p as usize] += 1;
            }
        }
        let mut levels = Vec::with_capacity(params.levels.len());
        let mut group_shapes = Vec::new();
        let (mut first_unit, mut cadres) = (0usize, 0usize);
        for (index, spec) in params.levels.iter().enumerate() {
            let count = units_per_level[index];
            let first_group = group_shapes.len();
            let mut sizes = Vec::new();
            if index == 0 {
                sizes.push(count);
                group_shapes.push(GroupShape {
                    level: 0,
                    first_unit,
                    units: count,
                });
            } else {
                let above: &Level = &levels[index - 1];
                for p in above.first_unit..above.first_unit + above.units {
                    sizes.push(child_count[p] as usize);
                    if child_count[p] > 0 {
                        group_shapes.push(GroupShape {
                            level: index,
                            first_unit: first_child[p] as usize,
                            units: child_count[p] as usize,
                        });
                    }
                }
            }
            let uniform = sizes.windows(2).all(|pair| pair[0] == pair[1]);
            let level_cadres = count * spec.cadres as usize;
            levels.push(Level {
                name: spec.name.clone(),
                cadres_per_unit: spec.cadres as usize,
                units: count,
                first_unit,
                groups: group_shapes.len() - first_group,
                first_group,
                cadres: level_cadres,
                branching: uniform.then(|| sizes.first().copied().unwrap_or(0)),
            });
            first_unit += count;
            cadres += level_cadres;
        }
        Hierarchy {
            levels,
            units,
            cadres,
            groups: group_shapes.len(),
            parent,
            first_child,
            child_count,
            group_shapes,
            rows,
        }
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
        let parent = self.parent[unit];
        (parent != NO_PARENT).then_some(parent as usize)
    }

    /// Child units (empty for a unit without children).
    pub fn children(&self, unit: usize) -> Range<usize> {
        let start = self.first_child[unit] as usize;
        start..start + self.child_count[unit] as usize
    }

    /// Every peer group's level and units, in group order.
    pub fn group_shapes(&self) -> &[GroupShape] {
        &self.group_shapes
    }

    /// (level, units) of peer group `group`.
    pub fn group_units(&self, group: usize) -> (usize, Range<usize>) {
        let shape = &self.group_shapes[group];
        (
            shape.level,
            shape.first_unit..shape.first_unit + shape.units,
        )
    }

    /// Largest peer group.
    pub fn max_group_size(&self) -> usize {
        self.group_shapes
            .iter()
            .map(|shape| shape.units * self.levels[shape.level].cadres_per_unit)
            .max()
            .unwrap_or(0)
    }

    /// Row of a unit in the tree's file (None for a uniform hierarchy).
    pub fn tree_row(&self, unit: usize) -> Option<usize> {
        self.rows.get(unit).map(|&row| row as usize)
    }

    /// Code and name of every unit of `level`: from the tree, or for a uniform hierarchy
    /// the unit's number within the level from 1 ("3", "province 3").
    pub fn unit_labels(&self, level: usize, tree: Option<&UnitTree>) -> (Vec<String>, Vec<String>) {
        let shape = &self.levels[level];
        let units = shape.first_unit..shape.first_unit + shape.units;
        match tree {
            Some(tree) => units
                .map(|unit| {
                    let row = self.rows[unit] as usize;
                    (tree.codes[row].clone(), tree.names[row].clone())
                })
                .unzip(),
            None => (1..=shape.units)
                .map(|k| (k.to_string(), format!("{} {k}", shape.name)))
                .unzip(),
        }
    }

    /// The ancestor of `unit` at `level` (the unit itself at its own level; None above it).
    pub fn ancestor_at(&self, unit: usize, level: usize) -> Option<usize> {
        let mut here = unit;
        let mut at = self.level_of_unit(unit);
        if at < level {
            return None;
        }
        while at > level {
            here = self.parent[here] as usize;
            at -= 1;
        }
        Some(here)
    }
}

/// Parents of a uniform hierarchy's units in order, and the units per level.
fn uniform_order(params: &HierarchyParams) -> (Vec<u32>, Vec<u32>, Vec<usize>) {
    let mut parent = Vec::new();
    let mut per_level = Vec::with_capacity(params.levels.len());
    let (mut first_above, mut units_above) = (None::<usize>, 1usize);
    for spec in &params.levels {
        let branching = spec.branching.unwrap_or(1) as usize;
        let first = parent.len();
        for k in 0..units_above * branching {
            parent.push(first_above.map_or(NO_PARENT, |f| (f + k / branching) as u32));
        }
        per_level.push(units_above * branching);
        first_above = Some(first);
        units_above *= branching;
    }
    (parent, Vec::new(), per_level)
}

/// Parents of a tree's units in hierarchy order (level by level, children of earlier
/// parents first, siblings in file order), each unit's file row, and the units per level.
fn tree_order(tree: &UnitTree, levels: usize) -> (Vec<u32>, Vec<u32>, Vec<usize>) {
    let rows = tree.len();
    // Children of every row in file order (compressed rows).
    let mut start = vec![0u32; rows + 1];
    for parent in tree.parent.iter().flatten() {
        start[*parent as usize + 1] += 1;
    }
    for row in 0..rows {
        start[row + 1] += start[row];
    }
    let mut fill = start.clone();
    let mut children = vec![0u32; start[rows] as usize];
    for (row, parent) in tree.parent.iter().enumerate() {
        if let Some(parent) = parent {
            children[fill[*parent as usize] as usize] = row as u32;
            fill[*parent as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..rows as u32)
        .filter(|&row| tree.parent[row as usize].is_none())
        .collect();
    let mut per_level = vec![order.len()];
    let mut level_start = 0;
    while per_level.len() < levels {
        let level_end = order.len();
        for position in level_start..level_end {
            let row = order[position] as usize;
            order.extend_from_slice(&children[start[row] as usize..start[row + 1] as usize]);
        }
        per_level.push(order.len() - level_end);
        level_start = level_end;
    }
    let mut unit_of_row = vec![0u32; rows];
    for (unit, &row) in order.iter().enumerate() {
        unit_of_row[row as usize] = unit as u32;
    }
    let parent = order
        .iter()
        .map(|&row| tree.parent[row as usize].map_or(NO_PARENT, |p| unit_of_row[p as usize]))
        .collect();
    (parent, order, per_level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{LevelSpec, TreeRef};

    #[test]
    fn default_hierarchy_counts() {
        let hierarchy = Hierarchy::new(&HierarchyParams::default()).unwrap();
        let units: Vec<usize> = hierarchy.levels.iter().map(|l| l.units).collect();
        assert_eq!(units, vec![4, 16, 64, 320]);
        assert_eq!(hierarchy.cadres, 4 * 6 + 16 * 8 + 64 * 10 + 320 * 12);
        assert_eq!(hierarchy.cadres, 4632);
        let groups: Vec<usize> = hierarchy.levels.iter().map(|l| l.groups).collect();
        assert_eq!(groups, vec![1, 4, 16, 64]);
        assert_eq!(hierarchy.max_group_size(), 60);
        assert_eq!(hierarchy.group_units(0), (0, 0..4));
        let size = Size::of(&HierarchyParams::default()).unwrap();
        assert_eq!((size.units, size.cadres, size.groups), (404, 4632, 85));
    }

    #[test]
    fn parents_children_and_groups_agree() {
        let hierarchy = Hierarchy::new(&HierarchyParams::default()).unwrap();
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
        assert_eq!(hierarchy.ancestor_at(403, 0), Some(3));
        assert_eq!(hierarchy.ancestor_at(2, 1), None);
    }

    /// Two provinces: A with prefectures A1 (two counties) and A2 (none); B with B1 (one).
    fn small_tree() -> HierarchyParams {
        let level = |name: &str| LevelSpec {
            name: name.into(),
            branching: None,
            cadres: 2,
        };
        let rows = [
            ("A1a", Some(2), 2),
            ("A", None, 0),
            ("A1", Some(1), 1),
            ("B", None, 0),
            ("B1", Some(3), 1),
            ("A2", Some(1), 1),
            ("B1a", Some(4), 2),
            ("A1b", Some(2), 2),
        ];
        let tree = UnitTree {
            codes: rows.iter().map(|r| r.0.to_string()).collect(),
            names: rows.iter().map(|r| r.0.to_string()).collect(),
            level: rows.iter().map(|r| r.2).collect(),
            parent: rows.iter().map(|r| r.1).collect(),
        };
        HierarchyParams {
            levels: vec![level("province"), level("prefecture"), level("county")],
            tree: Some(TreeRef {
                file: "tree.csv".into(),
                sha256: String::new(),
                units: std::sync::Arc::new(tree),
            }),
        }
    }

    #[test]
    fn a_tree_is_ordered_level_by_level_and_by_parent() {
        let params = small_tree();
        let hierarchy = Hierarchy::new(&params).unwrap();
        let tree = &params.tree.as_ref().unwrap().units;
        let code = |unit| &tree.codes[hierarchy.tree_row(unit).unwrap()];
        let codes: Vec<&String> = (0..hierarchy.units).map(code).collect();
        // Level by level; children of earlier parents first; siblings in file order.
        let expected = ["A", "B", "A1", "A2", "B1", "A1a", "A1b", "B1a"];
        assert_eq!(codes, expected.iter().collect::<Vec<_>>());
        let units: Vec<usize> = hierarchy.levels.iter().map(|l| l.units).collect();
        assert_eq!(units, vec![2, 3, 3]);
        let groups: Vec<usize> = hierarchy.levels.iter().map(|l| l.groups).collect();
        // Counties: a group under A1 and one under B1; A2 has no children.
        assert_eq!(groups, vec![1, 2, 2]);
        assert!(hierarchy.children(3).is_empty(), "A2 has no children");
        assert_eq!(hierarchy.children(2), 5..7);
        assert_eq!(hierarchy.ancestor_at(7, 0), Some(1));
        assert_eq!(hierarchy.levels[2].branching, None);
        assert_eq!(hierarchy.levels[1].branching, None, "A has 2, B has 1");
        assert_eq!(hierarchy.cadres, 16);
        let size = Size::of(&params).unwrap();
        assert_eq!((size.units, size.cadres, size.groups), (8, 16, 5));
        assert_eq!(size.groups as usize, hierarchy.groups);
    }

    #[test]
    fn absurd_sizes_are_rejected() {
        let level = |b| LevelSpec {
            name: "x".into(),
            branching: Some(b),
            cadres: 1000,
        };
        let params = HierarchyParams {
            levels: vec![level(1 << 40), level(1 << 40)],
            tree: None,
        };
        assert!(Hierarchy::new(&params).is_err());
    }
}
