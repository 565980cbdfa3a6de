//! `cargo run -p affiliate-examples --example dub_partners`: every approved partner gets a link.
//! Runs against the mock unless `DUB_API_KEY` is set.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = affiliate_examples::dub::target().await?;
    let links = affiliate_examples::dub::sync_approved_partners(&target.client, "https://example.com/shop").await?;
    for link in &links {
        println!("{link}");
    }
    eprintln!("{} partner links created", links.len());
    Ok(())
}
