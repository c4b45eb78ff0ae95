//! What the API document says about clusters: every operation on one
//! meeting may be answered `421 meeting_elsewhere` by a node that does not
//! serve it, with the owner's URL in `Location` (see `crate::cluster`).

use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// Adds the 421 answer to the operations on one meeting and to `/v1/join`,
/// as one of the API document's modifiers.
pub struct ClusterErrors;

impl utoipa::Modify for ClusterErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        let misdirected = ResponseBuilder::new()
            .description(
                "meeting_elsewhere: another node of the cluster serves this meeting; \
                 send the same request to the URL in Location",
            )
            .header(
                "Location",
                utoipa::openapi::HeaderBuilder::new()
                    .description(Some("The base URL of the node that serves the meeting"))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiError")))
                    .build(),
            )
            .build();
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !(path.starts_with("/v1/meetings/{id}") || path == "/v1/join") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("421".into())
                    .or_insert_with(|| misdirected.clone().into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    #[test]
    fn operations_on_one_meeting_and_joins_document_the_421() {
        let doc = crate::rest::ApiDoc::openapi();
        let responses = |path: &str, get: bool| {
            let item = &doc.paths.paths[path];
            let operation = if get { &item.get } else { &item.post };
            operation
                .as_ref()
                .expect("operation")
                .responses
                .responses
                .clone()
        };
        assert!(responses("/v1/meetings/{id}", true).contains_key("421"));
        assert!(responses("/v1/meetings/{id}/participants", false).contains_key("421"));
        assert!(responses("/v1/join", false).contains_key("421"));
        assert!(!responses("/v1/meetings", false).contains_key("421"));
    }
}
