//! `cargo run -p affiliate-examples --example geniuslink_tokens -- [GROUP_ID]`: connects an Amazon
//! US program to a group with its affiliate tag. Runs against the mock unless the Geniuslink
//! credential variables are set.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let group = std::env::args().nth(1).and_then(|g| g.parse().ok()).unwrap_or(12345);
    let target = affiliate_examples::geniuslink::target().await?;
    let programs = affiliate_examples::geniuslink::set_group_tokens(
        &target.client,
        group,
        "jane",
        "00000000-0000-0000-0000-000000000001",
        &[("tag", "mysite-20")],
    )
    .await?;
    println!("group {group} now has {programs} affiliate program(s) with tokens");
    Ok(())
}
