use super::*;
use crate::cli::DEFAULT_OIDC_AUDIENCE;
use crate::config::env::Lookup;
use crate::secret::Endpoint;
use std::collections::HashMap;

fn login(scope: ProjectScope) -> IamLogin {
    IamLogin {
        endpoint: Endpoint::parse("http://127.0.0.1:9/iam").unwrap(),
        scope,
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::parse(value).unwrap()
}

const GITHUB: [(&str, &str); 2] = [
    (
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "https://gh.example/idtoken?api-version=2.0",
    ),
    ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner"),
];
const REGION: Place = Place {
    region: Some("cn-north-4"),
    project_id: None,
};

type Flags<'a> = [&'a str];

fn resolve_with(flags: &Flags, place: Place, vars: &[(&str, &str)]) -> Result<Resolved, Error> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |name: &str| map.get(name).map(Into::into);
    let args = crate::cli::parse("gate", flags).unwrap();
    resolve(
        &Lookup {
            args: &args,
            env: &env,
        },
        place,
    )
}

fn credentials(flags: &Flags, place: Place, vars: &[(&str, &str)]) -> Credentials {
    resolve_with(flags, place, vars).unwrap().credentials
}

#[test]
fn oidc_from_a_file_or_from_github() {
    let idp = ("HUAWEICLOUD_SDK_IDP_ID", " github ");
    let file = ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/run/jwt");
    let by_name = login(ProjectScope::Name("cn-north-4".into()));
    let iam = Endpoint::parse("https://iam.cn-north-4.myhuaweicloud.com").unwrap();
    assert_eq!(
        credentials(&[], REGION, &[idp, file, GITHUB[0], GITHUB[1]]),
        Credentials::Oidc {
            idp_id: header_value("github"),
            id_token: IdTokenSource::File("/run/jwt".into()),
            login: IamLogin {
                endpoint: iam.clone(),
                scope: by_name.scope.clone()
            },
        },
        "a token file wins over fetching one"
    );
    let flags: &Flags = &["--oidc-audience", "my-aud"];
    let p1 = header_value("p1");
    let place = Place {
        project_id: Some(&p1),
        ..REGION
    };
    match credentials(flags, place, &[idp, GITHUB[0], GITHUB[1]]) {
        Credentials::Oidc {
            id_token:
                IdTokenSource::Github {
                    url,
                    request_token,
                    audience,
                },
            login,
            ..
        } => {
            assert_eq!(url.endpoint.origin(), "https://gh.example");
            assert_eq!(
                (url.path.as_str(), url.query.as_str()),
                ("/idtoken", "api-version=2.0")
            );
            assert_eq!(request_token, Secret::header("runner").unwrap());
            assert_eq!(audience, "my-aud");
            assert_eq!(
                login,
                IamLogin {
                    endpoint: iam,
                    scope: ProjectScope::Id("p1".into())
                }
            );
        }
        other => panic!("{other:?}"),
    }
    match credentials(&[], REGION, &[idp, GITHUB[0], GITHUB[1]]) {
        Credentials::Oidc {
            id_token: IdTokenSource::Github { audience, .. },
            ..
        } => {
            assert_eq!(audience, DEFAULT_OIDC_AUDIENCE)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn iam_endpoint_precedence() {
    let idp = [
        ("HUAWEICLOUD_SDK_IDP_ID", "g"),
        ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/t"),
    ];
    let sdk = ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "iam.sdk.example");
    let ours = ("SERVICESTAGE_IAM_ENDPOINT", "https://iam.ours.example");
    let flag: &Flags = &["--iam-endpoint", "http://127.0.0.1:7"];
    type Case<'a> = (&'a Flags<'a>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 4] = [
        (flag, vec![ours, sdk], "http://127.0.0.1:7"),
        (&[], vec![ours, sdk], "https://iam.ours.example"),
        (&[], vec![sdk], "https://iam.sdk.example"),
        (&[], vec![], "https://iam.cn-north-4.myhuaweicloud.com"),
    ];
    for (flags, extra, expected) in cases {
        let vars = [&idp[..], &extra].concat();
        match credentials(flags, REGION, &vars) {
            Credentials::Oidc { login, .. } => assert_eq!(login.endpoint.origin(), expected),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn password_logins_and_their_fallbacks() {
    let hw = [
        ("HW_USER_NAME", "tf-user"),
        ("HW_DOMAIN_NAME", "tf-domain"),
        ("HW_PASSWORD", "tf-pw"),
    ];
    let ours = [
        ("SERVICESTAGE_IAM_USER", "gate-user"),
        ("SERVICESTAGE_IAM_DOMAIN", "gate-domain"),
        ("SERVICESTAGE_IAM_PASSWORD", " pw with spaces "),
    ];
    let user = |c: Credentials| match c {
        Credentials::Password {
            user,
            domain,
            password,
            ..
        } => (user, domain, password.expose().to_string()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        user(credentials(&[], REGION, &hw)),
        ("tf-user".into(), "tf-domain".into(), "tf-pw".into())
    );
    assert_eq!(
        user(credentials(&[], REGION, &[&hw[..], &ours].concat())),
        (
            "gate-user".into(),
            "gate-domain".into(),
            " pw with spaces ".into()
        ),
        "ours win over Terraform's, as a whole"
    );
    assert!(
        resolve_with(&[], REGION, &[&ours[..], &[hw[2]]].concat()).is_ok(),
        "a partial Terraform set is no error when ours is complete"
    );
    let flags: &Flags = &["--iam-user", "flag-user", "--iam-domain", "flag-domain"];
    assert_eq!(
        user(credentials(flags, REGION, &[ours[2]])),
        (
            "flag-user".into(),
            "flag-domain".into(),
            " pw with spaces ".into()
        )
    );
}

#[test]
fn the_auth_action_is_the_last_resort() {
    let action = [
        ("HUAWEI_CLOUD_ACCESS_KEY_ID", "AAK"),
        ("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "ASK"),
        ("HUAWEI_CLOUD_REGION", "ap-southeast-1"),
        ("HUAWEI_CLOUD_PROJECT_ID", "aproject"),
    ];
    let resolved = resolve_with(&[], Place::default(), &action).unwrap();
    assert_eq!(
        resolved,
        Resolved {
            credentials: Credentials::AccessKey {
                ak: header_value("AAK"),
                sk: Secret::new("ASK".into()),
                security_token: None
            },
            region: Some("ap-southeast-1".into()),
            project_id: Some(header_value("aproject")),
        }
    );
    let mine = header_value("mine");
    let given = Place {
        region: Some("cn-north-4"),
        project_id: Some(&mine),
    };
    let resolved = resolve_with(&[], given, &action).unwrap();
    assert_eq!(
        (resolved.region.as_deref(), resolved.project_id.as_deref()),
        (Some("cn-north-4"), Some("mine")),
        "the gate's own region and project win"
    );
    let token = ("SERVICESTAGE_TOKEN", "t0ken");
    let resolved = resolve_with(&[], Place::default(), &[&action[..], &[token]].concat()).unwrap();
    assert_eq!(
        resolved,
        Resolved {
            credentials: Credentials::Token(Secret::header("t0ken").unwrap()),
            region: None,
            project_id: None
        },
        "with another credential, the auth action's variables are not read"
    );
}

#[test]
fn usage_errors_name_what_is_missing_or_doubled() {
    let token = ("SERVICESTAGE_TOKEN", "t");
    let ak = [("HUAWEICLOUD_SDK_AK", "a"), ("HUAWEICLOUD_SDK_SK", "s")];
    let idp = ("HUAWEICLOUD_SDK_IDP_ID", "g");
    let file = ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/t");
    let pw = [
        ("SERVICESTAGE_IAM_USER", "u"),
        ("SERVICESTAGE_IAM_DOMAIN", "d"),
        ("SERVICESTAGE_IAM_PASSWORD", "p"),
    ];
    let hw = [
        ("HW_USER_NAME", "u"),
        ("HW_DOMAIN_NAME", "d"),
        ("HW_PASSWORD", "p"),
    ];
    let none = Place::default();
    type Case<'a> = (Place<'a>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            REGION,
            vec![token, ak[0], ak[1]],
            "both a token (SERVICESTAGE_TOKEN or --token-file) and an access key (HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) are set",
        ),
        (
            REGION,
            vec![token, idp, file],
            "both a token (SERVICESTAGE_TOKEN or --token-file) and an OIDC identity provider (HUAWEICLOUD_SDK_IDP_ID)",
        ),
        (
            none,
            vec![idp, file, pw[0], pw[1], pw[2]],
            "both an OIDC identity provider (HUAWEICLOUD_SDK_IDP_ID) and an IAM password login (SERVICESTAGE_IAM_USER",
        ),
        (
            REGION,
            vec![ak[0], ak[1], hw[0], hw[1], hw[2]],
            "and an IAM password login (HW_USER_NAME/HW_DOMAIN_NAME/HW_PASSWORD)",
        ),
        (
            REGION,
            vec![ak[0]],
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
        ),
        (
            REGION,
            vec![file],
            "HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not",
        ),
        (REGION, vec![idp], "permissions: id-token: write"),
        (
            REGION,
            vec![idp, GITHUB[0]],
            "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not",
        ),
        (
            REGION,
            vec![
                idp,
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://gh.example/t"),
                GITHUB[1],
            ],
            "ACTIONS_ID_TOKEN_REQUEST_URL: \"http://gh.example/t\" uses plain http://",
        ),
        (
            REGION,
            vec![
                idp,
                file,
                ("SERVICESTAGE_IAM_ENDPOINT", "http://iam.example"),
            ],
            "SERVICESTAGE_IAM_ENDPOINT: \"http://iam.example\" uses plain http://",
        ),
        (
            none,
            vec![idp, file],
            "needs the IAM endpoint: set --region",
        ),
        (
            REGION,
            vec![pw[0]],
            "--iam-domain (or SERVICESTAGE_IAM_DOMAIN) and SERVICESTAGE_IAM_PASSWORD are not set",
        ),
        (
            REGION,
            vec![pw[0], pw[1]],
            "SERVICESTAGE_IAM_PASSWORD is not set",
        ),
        (
            REGION,
            vec![("SERVICESTAGE_IAM_USER", "u\u{7}"), pw[1], pw[2]],
            "SERVICESTAGE_IAM_USER: must not contain control characters",
        ),
        (REGION, vec![hw[0], hw[1]], "HW_PASSWORD is not set"),
        (
            REGION,
            vec![("HUAWEI_CLOUD_ACCESS_KEY_ID", "a")],
            "must be set together",
        ),
        (
            none,
            vec![
                ("HUAWEI_CLOUD_ACCESS_KEY_ID", "a"),
                ("HUAWEI_CLOUD_SECRET_ACCESS_KEY", "s"),
                ("HUAWEI_CLOUD_REGION", "CN North"),
            ],
            "HUAWEI_CLOUD_REGION: invalid region",
        ),
        (REGION, vec![], "no credentials: set SERVICESTAGE_TOKEN"),
    ];
    for (place, vars, expected) in cases {
        match resolve_with(&[], place, &vars) {
            Err(Error::Usage(message)) => assert!(
                message.contains(expected),
                "{vars:?}: {message}\n  lacks {expected}"
            ),
            other => panic!("{vars:?}: expected a usage error, got {other:?}"),
        }
    }
    let flags: &Flags = &["--token-file", "/t"];
    assert!(
        matches!(resolve_with(flags, REGION, &[token]), Err(Error::Usage(m)) if m.contains("both SERVICESTAGE_TOKEN and --token-file"))
    );
}

#[test]
fn resolved_credentials_hide_secrets() {
    let vars = [
        ("HUAWEICLOUD_SDK_IDP_ID", "g"),
        GITHUB[0],
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "RUNNER-SECRET"),
    ];
    let shown = format!("{:?}", resolve_with(&[], REGION, &vars).unwrap());
    assert!(!shown.contains("RUNNER-SECRET"), "{shown}");
    let pw = [
        ("HW_USER_NAME", "u"),
        ("HW_DOMAIN_NAME", "d"),
        ("HW_PASSWORD", "PW-SECRET"),
    ];
    let shown = format!("{:?}", resolve_with(&[], REGION, &pw).unwrap());
    assert!(!shown.contains("PW-SECRET"), "{shown}");
}
