//! Inline display in notebooks (evcxr): backtests and loss distributions show as HTML tables
//! when a cell's value is one of them.

use finkit_schema::notebook::{HtmlTable, cell};

use crate::market::Backtest;
use crate::portfolio::LossDistribution;

impl Backtest {
    /// The backtest summary (Kupiec, Christoffersen, traffic light) as an [`HtmlTable`].
    #[must_use]
    pub fn to_html_table(&self) -> HtmlTable {
        let k = &self.kupiec;
        let c = &self.christoffersen;
        let mut t = HtmlTable::new("VaR backtest", ["test", "statistic", "p-value", "detail"]);
        t.push_row([
            "Kupiec POF".to_owned(),
            cell(k.lr, 4),
            cell(k.p_value, 4),
            format!("{} exceptions in {} ({:.2} %)", k.exceptions, k.observations, k.rate * 100.0),
        ]);
        t.push_row([
            "Christoffersen independence".to_owned(),
            cell(c.lr_ind, 4),
            cell(c.p_value_ind, 4),
            format!("π01 = {:.4}, π11 = {:.4}", c.pi0, c.pi1),
        ]);
        t.push_row([
            "Christoffersen conditional coverage".to_owned(),
            cell(c.lr_cc, 4),
            cell(c.p_value_cc, 4),
            String::new(),
        ]);
        if let Some(tl) = &self.traffic_light {
            t.push_row([
                "Basel traffic light (last 250)".to_owned(),
                tl.exceptions.to_string(),
                String::new(),
                format!("{:?} zone, multiplier {:.2}", tl.zone, tl.multiplier),
            ]);
        }
        t
    }

    /// Shows the backtest summary inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        self.to_html_table().evcxr_display();
    }
}

impl LossDistribution {
    /// Mean, standard deviation, and VaR / ES at 95 %, 99 % and 99.9 % as an [`HtmlTable`].
    #[must_use]
    pub fn to_html_table(&self) -> HtmlTable {
        let mut t = HtmlTable::new("Loss distribution", ["measure", "level", "value"]);
        t.push_row(["mean".to_owned(), String::new(), cell(self.mean(), 6)]);
        t.push_row(["standard deviation".to_owned(), String::new(), cell(self.std(), 6)]);
        for q in [0.95, 0.99, 0.999] {
            let level = format!("{:.1} %", q * 100.0);
            // A level the distribution cannot resolve is shown as such, not as a number.
            let show = |v: Result<f64, crate::RiskError>| {
                v.map_or_else(|e| format!("n/a ({e})"), |x| cell(x, 6))
            };
            t.push_row(["VaR".to_owned(), level.clone(), show(self.var(q))]);
            t.push_row(["ES".to_owned(), level, show(self.es(q))]);
        }
        t
    }

    /// Shows the summary inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        self.to_html_table().evcxr_display();
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array1;

    use crate::market::backtest;
    use crate::portfolio::LossDistribution;

    #[test]
    fn backtest_and_loss_tables_carry_the_numbers() {
        let r = Array1::from_iter((0..300).map(|i| if i % 50 == 0 { -0.05 } else { 0.001 }));
        let var = Array1::from_elem(300, 0.03);
        let bt = backtest(&r, &var, 0.99).unwrap();
        let html = bt.to_html_table().to_html();
        assert!(html.contains("6 exceptions in 300"), "{html}");
        assert!(html.contains("Basel traffic light"), "{html}");

        let d = LossDistribution::from_sample((0..1000).map(f64::from).collect()).unwrap();
        let t = d.to_html_table();
        assert_eq!(t.len(), 8);
        let html = t.to_html();
        assert!(html.contains(&format!("<td>{:.6}</td>", d.var(0.99).unwrap())), "{html}");
        assert!(t.evcxr_content().starts_with("EVCXR_BEGIN_CONTENT text/html"));
    }
}
