//! Query strings written straight into the URL text a generated `send` builds, before the one
//! parse reqwest makes of it: each parameter serialised as progenitor's `QueryParam` serialises
//! it (arrays exploded into repeated names, `None` omitted) and form-urlencoded as reqwest's
//! `.query()` writes it, without re-serialising a parsed URL once per parameter.

use serde::Serialize;

/// A query being appended to the text of a URL; [`finish`](Self::finish) ends it.
pub struct Query<'a> {
    url: &'a mut String,
    /// Where the pairs start (just after the `?`).
    start: usize,
    /// A fragment the URL text had (only a base URL could carry one), put back after the query.
    fragment: Option<String>,
}

/// A query parameter value that has no form in a query string (an object inside an array).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("a query parameter cannot be written in the query string: {0}")]
pub struct InvalidQuery(String);

/// Generated `send_raw` uses `?` on [`Query::push`]: the call is refused before anything is sent.
impl<E> From<InvalidQuery> for progenitor_client::Error<E> {
    fn from(error: InvalidQuery) -> Self {
        progenitor_client::Error::InvalidRequest(error.to_string())
    }
}

impl<'a> Query<'a> {
    /// Starts the query of `url` (after the pairs it has, if it has a query already).
    pub fn new(url: &'a mut String) -> Self {
        let fragment = url.find('#').map(|at| url.split_off(at));
        let start = match url.find('?') {
            Some(at) => at + 1,
            None => {
                url.push('?');
                url.len()
            }
        };
        Query { url, start, fragment }
    }

    /// Appends one parameter (a `progenitor_client::QueryParam`): nothing for `None`, one pair
    /// per element for an array.
    pub fn push<T: Serialize + ?Sized>(self, param: &T) -> Result<Self, InvalidQuery> {
        let mut pairs = form_urlencoded::Serializer::for_suffix(&mut *self.url, self.start);
        param.serialize(serde_urlencoded::Serializer::new(&mut pairs)).map_err(|e| InvalidQuery(e.to_string()))?;
        Ok(self)
    }

    /// Ends the query: a `?` with no pair after it is removed (as reqwest drops an empty query).
    pub fn finish(self) {
        if self.url.len() == self.start && self.url.ends_with('?') {
            self.url.pop();
        }
        if let Some(fragment) = self.fragment {
            self.url.push_str(&fragment);
        }
    }
}

#[cfg(test)]
mod tests {
    use progenitor_client::QueryParam;

    /// The same text reqwest's `.query()` gives for every parameter shape, on every URL shape.
    #[test]
    fn writes_what_reqwest_writes() {
        fn check(
            base: &str,
            build: impl Fn(super::Query<'_>) -> super::Query<'_>,
            each: &[&dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder],
        ) {
            let mut text = base.to_string();
            build(super::Query::new(&mut text)).finish();
            let ours = reqwest::Url::parse(&text).unwrap();
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let mut theirs = client.get(base);
            for query in each {
                theirs = query(theirs);
            }
            let theirs = theirs.build().unwrap();
            assert_eq!(ours.as_str(), theirs.url().as_str(), "{base}");
        }
        let none: Option<u64> = None;
        let list = vec!["a b".to_string(), "c&d=é".to_string()];
        for base in ["http://h.test/p", "http://h.test/p?x=1", "http://h.test/p#frag", "http://h.test/p?x=1#f"] {
            check(base, |q| q, &[]);
            check(
                base,
                |q| q.push(&QueryParam::new("n", &none)).unwrap(),
                &[&|r| r.query(&QueryParam::new("n", &none))],
            );
            check(
                base,
                |q| {
                    q.push(&QueryParam::new("page", &Some(2u64)))
                        .unwrap()
                        .push(&QueryParam::new("tags[]", &list))
                        .unwrap()
                },
                &[&|r| r.query(&QueryParam::new("page", &Some(2u64))), &|r| r.query(&QueryParam::new("tags[]", &list))],
            );
            check(
                base,
                |q| q.push(&QueryParam::new("ok", &true)).unwrap(),
                &[&|r| r.query(&QueryParam::new("ok", &true))],
            );
        }
    }
}
