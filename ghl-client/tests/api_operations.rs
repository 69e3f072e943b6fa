//! Contract tests of the generated API (`ghl_client::api`): the generated module calls every
//! operation of every enabled area against wiremock (see `api_operations/generated.rs`).

#[rustfmt::skip]
#[path = "api_operations/generated.rs"]
mod generated;

/// Hand-written contract tests of one generated area, with typed values checked field by field.
#[cfg(feature = "opportunities")]
mod opportunities {
    use ghl_client::api::opportunities::{
        SearchOpportunityQuery, SearchOpportunityStatus, UpdateOpportunityDto,
        UpdateOpportunityDtoStatus,
    };
    use ghl_client::{Auth, Error, GhlClient, RetryPolicy, SecretString};
    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(server: &MockServer) -> GhlClient {
        GhlClient::builder()
            .base_url(server.uri())
            .location_id("loc-1")
            .auth(Auth::private_token(SecretString::from("pit-test"), []))
            .retry_policy(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
            .build()
            .expect("client")
    }

    #[tokio::test]
    async fn moving_an_opportunity_to_a_stage_sends_the_spec_body_and_decodes_the_answer() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/opportunities/opp-1"))
            .and(header("Version", "2021-07-28"))
            .and(header("Authorization", "Bearer pit-test"))
            .and(body_json(json!({
                "pipelineId": "pipe-1",
                "pipelineStageId": "stage-2",
                "status": "won",
                "monetaryValue": 220.5
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "opportunity": {
                    "id": "opp-1",
                    "name": "Balayage package",
                    "pipelineId": "pipe-1",
                    "pipelineStageId": "stage-2",
                    "status": "won",
                    "monetaryValue": 220.5,
                    "contactId": "c-1",
                    "locationId": "loc-1"
                }
            })))
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&server);
        let body = UpdateOpportunityDto::new()
            .pipeline_id("pipe-1")
            .pipeline_stage_id("stage-2")
            .status(UpdateOpportunityDtoStatus::Won)
            .monetary_value(220.5);
        let answer = client
            .opportunities()
            .update_opportunity("opp-1", &body)
            .await
            .expect("answer");
        let opportunity = answer.opportunity.expect("opportunity");
        assert_eq!(opportunity.id.as_deref(), Some("opp-1"));
        assert_eq!(opportunity.pipeline_stage_id.as_deref(), Some("stage-2"));
        assert_eq!(opportunity.monetary_value, Some(220.5));
        assert_eq!(opportunity.contact_id.as_deref(), Some("c-1"));
    }

    #[tokio::test]
    async fn a_search_sends_its_query_with_whole_numbers_and_is_retried_after_a_server_error() {
        let server = MockServer::start().await;
        let matching = || {
            Mock::given(method("GET"))
                .and(path("/opportunities/search"))
                .and(header("Version", "2021-07-28"))
                .and(query_param("location_id", "loc-1"))
                .and(query_param("pipeline_id", "pipe-1"))
                .and(query_param("status", "open"))
                .and(query_param("limit", "20"))
        };
        matching()
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        matching()
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "opportunities": [{"id": "opp-1", "status": "open"}, {"id": "opp-2"}],
                "meta": {"total": 2}
            })))
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&server);
        let query = SearchOpportunityQuery::new("loc-1")
            .pipeline_id("pipe-1")
            .status(SearchOpportunityStatus::Open)
            .limit(20.0);
        let answer = client
            .api()
            .opportunities()
            .search_opportunity(&query)
            .await
            .expect("answer");
        let ids: Vec<_> = answer
            .opportunities
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| o.id)
            .collect();
        assert_eq!(ids, ["opp-1", "opp-2"]);
    }

    #[tokio::test]
    async fn a_wrong_answer_shape_is_a_decode_error_naming_the_operation_and_the_field() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/opportunities/opp-1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"opportunity": {"id": 12, "name": "x"}})),
            )
            .mount(&server)
            .await;
        let client = client(&server);
        let error = client
            .opportunities()
            .get_opportunity("opp-1")
            .await
            .expect_err("decode error");
        match error {
            Error::Decode {
                operation, path, ..
            } => {
                assert_eq!(operation, "GET /opportunities/{id}");
                assert_eq!(path, "opportunity.id");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
}
