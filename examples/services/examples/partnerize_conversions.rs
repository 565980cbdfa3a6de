//! `cargo run -p affiliate-examples --example partnerize_conversions -- [PUBLISHER_ID]`: a month of
//! conversions streamed, then exported as CSV to `conversions.csv` (polling the export job if the
//! API answers with one). Runs against the mock unless the Partnerize credential variables are set.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let publisher = std::env::args().nth(1).unwrap_or_else(|| "1l1007802".to_string());
    let target = affiliate_examples::partnerize::target().await?;
    let out = std::path::Path::new("conversions.csv");
    let month = ("2026-10-01 00:00:00", "2026-10-31 23:59:59");
    let (conversions, bytes) =
        affiliate_examples::partnerize::month_of_conversions(&target.client, &publisher, month, out).await?;
    println!("{conversions} conversions; {bytes} bytes of CSV in {}", out.display());
    Ok(())
}
