//! Inline display in notebooks (evcxr): binning tables, binning processes and scorecards show
//! as HTML tables when a cell's value is one of them.

use finkit_schema::notebook::{HtmlTable, cell};

use crate::binning::{FittedBinning, FittedBinningProcess};
use crate::scorecard::Scorecard;

impl FittedBinning {
    /// The binning table (bin, count, events, event rate, WoE, IV) as an [`HtmlTable`].
    #[must_use]
    pub fn to_html_table(&self) -> HtmlTable {
        let mut t = HtmlTable::new(
            format!("Binning of {} (IV {:.4})", self.name(), self.iv()),
            ["bin", "count", "events", "non-events", "event rate", "WoE", "IV"],
        );
        for b in self.bins() {
            t.push_row([
                b.label.clone(),
                b.count.to_string(),
                b.events.to_string(),
                b.non_events.to_string(),
                cell(b.event_rate, 4),
                cell(b.woe, 4),
                cell(b.iv, 4),
            ]);
        }
        t
    }

    /// Shows the binning table inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        self.to_html_table().evcxr_display();
    }
}

impl FittedBinningProcess {
    /// The information value of every variable and whether it was selected.
    #[must_use]
    pub fn to_html_table(&self) -> HtmlTable {
        let mut t = HtmlTable::new("Information value by variable", ["variable", "IV", "selected"]);
        for (name, iv, selected) in self.iv_table() {
            t.push_row([name, cell(iv, 4), if selected { "yes" } else { "no" }.to_owned()]);
        }
        t
    }

    /// Shows the IV table inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        self.to_html_table().evcxr_display();
    }
}

impl Scorecard {
    /// The points table: one row per characteristic and bin, with the base points first.
    #[must_use]
    pub fn to_html_table(&self) -> HtmlTable {
        let mut t = HtmlTable::new(
            format!("Scorecard {}", self.name()),
            ["characteristic", "bin", "WoE", "points"],
        );
        t.push_row([
            "(base points)".to_owned(),
            String::new(),
            String::new(),
            cell(self.base_points(), 2),
        ]);
        for c in self.characteristics() {
            for (bin, points) in c.binning().bins().iter().zip(c.points()) {
                t.push_row([
                    c.binning().name().to_owned(),
                    bin.label.clone(),
                    cell(bin.woe, 4),
                    cell(*points, 2),
                ]);
            }
        }
        t
    }

    /// Shows the points table inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        self.to_html_table().evcxr_display();
    }
}

#[cfg(test)]
mod tests {
    use finkit_schema::{CsvOptions, Dataset};

    use crate::binning::BinningProcessParams;

    #[test]
    fn binning_tables_have_one_row_per_bin_and_variable() {
        let csv = "x,c,bad\n1,a,0\n2,a,0\n3,b,1\n4,b,1\n5,a,0\n6,b,1\n7,a,0\n8,b,1\n";
        let data = Dataset::from_reader(
            csv.as_bytes(),
            "t.csv",
            &CsvOptions::default().with_target("bad"),
        )
        .unwrap();
        let process = BinningProcessParams::new().min_iv(0.0).build().unwrap().fit(&data).unwrap();
        let html = process.to_html_table().to_html();
        assert!(html.contains("<td>x</td>") && html.contains("<td>c</td>"), "{html}");
        let x = process.binning("x").unwrap();
        let table = x.to_html_table();
        assert_eq!(table.len(), x.bins().len());
        assert!(table.evcxr_content().contains(&format!("IV {:.4}", x.iv())));
    }
}
