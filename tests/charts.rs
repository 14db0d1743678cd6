//! Charts render from a small result directory: every PNG decodes at the requested size with
//! many distinct colours, every SVG holds its title and axis labels as text, and `plot` and
//! `compare` redraw from the CSV files alone.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

const SMALL: &str = r#"
[run]
steps = 40
burn_in = 20
replicates = 3

[[hierarchy.levels]]
name = "county"
branching = 3
cadres = 8

[[hierarchy.levels]]
name = "township"
branching = 4
cadres = 10

[[schedule]]
at = 20
set = { "fault_tolerance.enabled" = true }
"#;

fn cadresim() -> Command {
    Command::cargo_bin("cadresim").unwrap()
}

fn small_run(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("fixture.toml");
    fs::write(&file, SMALL).unwrap();
    let out = dir.join("result");
    cadresim()
        .arg("run")
        .arg(&file)
        .args(["--size", "800x500", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

fn distinct_colours(path: &Path, size: (u32, u32)) -> usize {
    let image = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!((image.width(), image.height()), size, "{}", path.display());
    let rgb = image.to_rgb8();
    rgb.pixels()
        .map(|p| p.0)
        .collect::<HashSet<[u8; 3]>>()
        .len()
}

#[test]
fn every_chart_renders_as_png_and_svg() {
    let dir = TempDir::new().unwrap();
    let out = small_run(dir.path());
    let charts = out.join("charts");
    let expected = [
        (
            "behaviour-fixture",
            "Behaviour over time: fixture",
            "step (annual assessment cycle)",
        ),
        (
            "levels-fixture",
            "Where pressure bites: fixture by level",
            "share / intensity (0-1)",
        ),
        (
            "accountability-fixture",
            "Accountability: fixture",
            "detected errors per step (count)",
        ),
        (
            "equilibria",
            "Equilibria compared",
            "mean innovation intensity (0-1)",
        ),
    ];
    for (stem, title, label) in expected {
        let colours = distinct_colours(&charts.join(format!("{stem}.png")), (800, 500));
        assert!(colours > 50, "{stem}.png has only {colours} colours");
        let svg = fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<text"), "{stem}.svg has no text elements");
        assert!(svg.contains(title), "{stem}.svg lacks its title");
        assert!(svg.contains(label), "{stem}.svg lacks the label `{label}`");
    }
    // The schedule event is marked and labelled.
    let behaviour = fs::read_to_string(charts.join("behaviour-fixture.svg")).unwrap();
    assert!(behaviour.contains("step 20:"));
    assert!(behaviour.contains("fault_tolerance.enabled = true"));
    // The level panels carry each level's per-cadre target.
    let levels = fs::read_to_string(charts.join("levels-fixture.svg")).unwrap();
    assert!(
        levels.contains("township (target 1.166)"),
        "target of 1.08^2"
    );
}

#[test]
fn plot_redraws_from_csv_files_and_compare_combines_directories() {
    let dir = TempDir::new().unwrap();
    let out = small_run(dir.path());
    fs::remove_dir_all(out.join("charts")).unwrap();
    cadresim()
        .arg("plot")
        .arg(&out)
        .args(["--size", "640x400"])
        .assert()
        .success();
    assert!(distinct_colours(&out.join("charts/equilibria.png"), (640, 400)) > 50);

    let file = dir.path().join("variant.toml");
    fs::write(
        &file,
        SMALL.replace("enabled\" = true", "enabled\" = false"),
    )
    .unwrap();
    let variant = dir.path().join("variant");
    cadresim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&variant)
        .assert()
        .success();
    let compared = dir.path().join("compared");
    cadresim()
        .arg("compare")
        .arg(&out)
        .arg(&variant)
        .arg("--out")
        .arg(&compared)
        .arg("--overlay")
        .assert()
        .success();
    assert!(compared.join("behaviour-result-fixture.png").exists());
    // A scenario named like its directory is named once.
    assert!(compared.join("behaviour-variant.png").exists());
    let equilibria = fs::read_to_string(compared.join("equilibria.svg")).unwrap();
    assert!(equilibria.contains("result-fixture") && equilibria.contains("variant"));
    assert!(!equilibria.contains("variant-variant"));
    let overlay = fs::read_to_string(compared.join("overlay.svg")).unwrap();
    for text in [
        "result-fixture",
        "variant",
        "mean_innovation",
        "share_idle",
        "share of idle cadres",
    ] {
        assert!(overlay.contains(text), "overlay lacks {text:?}");
    }
    assert!(compared.join("overlay.png").exists());
}

#[test]
fn bad_sizes_and_directories_are_refused() {
    let dir = TempDir::new().unwrap();
    let output = cadresim()
        .arg("plot")
        .arg(dir.path())
        .args(["--size", "10x10"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--size"));
    let output = cadresim().arg("plot").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a result directory"));
}

#[test]
fn axis_ticks_are_round_numbers() {
    use cadresim::charts::sweep::{linear_ticks, log_ticks};
    // A log axis over 0.5..16 (padded as the curves pad it) ticks at powers of two.
    assert_eq!(log_ticks(0.44, 18.3), vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0]);
    assert_eq!(
        log_ticks(1.0, 1000.0),
        vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
    );
    let decades = log_ticks(0.01, 1000.0);
    assert_eq!(decades.len(), 6);
    for (tick, expected) in decades.iter().zip([0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]) {
        assert!((tick / expected - 1.0).abs() < 1e-12, "{decades:?}");
    }
    let linear = linear_ticks(-0.3, 16.7);
    assert_eq!(linear, vec![0.0, 5.0, 10.0, 15.0]);
    let unit = linear_ticks(0.0, 1.0);
    assert_eq!(unit.len(), 6);
    for (tick, expected) in unit.iter().zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) {
        assert!((tick - expected).abs() < 1e-12, "{unit:?}");
    }
}

#[test]
fn plot_draws_a_province_map_of_any_metric_and_refuses_other_runs() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("china");
    let run = cadresim()
        .args([
            "run",
            "scenarios/staggered-adoption-china.toml",
            "--replicates",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let charts = out.join("charts");
    assert!(charts
        .join("units_map_staggered-adoption-china.svg")
        .exists());
    let plot = cadresim()
        .arg("plot")
        .arg(&out)
        .args(["--map", "share_idle"])
        .output()
        .unwrap();
    assert!(plot.status.success(), "{plot:?}");
    let svg = fs::read_to_string(charts.join("units_map_staggered-adoption-china-share_idle.svg"))
        .unwrap();
    assert!(
        svg.contains("Share of idle cadres by province"),
        "the title names the metric"
    );
    assert!(
        svg.contains("ZJ") && svg.contains("ring: adopts at step"),
        "tiles and cohorts"
    );
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("charts/units_map_staggered-adoption-china-share_idle.png"));
    // Units that are not the provinces, or a metric that does not exist: one line, exit 2.
    let small = small_run(dir.path());
    for args in [vec!["--map", "share_idle"], vec!["--map", "idleness"]] {
        let refused = cadresim()
            .arg("plot")
            .arg(&small)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("--map"), "{stderr}");
    }
}
