"""https behind a private CA (--ca-bundle, $SSL_CERT_FILE) and proxies from the environment
(remote hosts only, never loopback), for the reranker's and the embedder's HTTP clients."""

from __future__ import annotations

import json

import pytest

from rerank_tui.http_deadline import deadline_transport, proxy_for, ssl_context
from rerank_tui.rerank import RerankServerError, build_reranker
from rerank_tui.rerank.http_backend import HttpReranker

from .helpers import QUERY
from .local_server import LocalServer, json_answer
from .tls_support import make_test_ca

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in PROXY_VARS + ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)


def answer_rerank(method, path, headers, body):
    if method == "POST" and path.endswith("/rerank"):
        n = len(json.loads(body)["documents"])
        return json_answer({"results": [{"index": i, "relevance_score": 0.5} for i in range(n)]})
    if method == "GET" and path.endswith("/v1/models"):
        return json_answer({"data": [{"id": "served"}]})
    return json_answer({"detail": "Not Found"}, 404)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("private-ca"))


@pytest.fixture
def https_server(ca):
    with LocalServer(answer_rerank, tls=ca.server_context()) as server:
        yield server


# -- TLS ----------------------------------------------------------------------------------------
def test_a_private_ca_is_refused_without_a_bundle_and_says_how_to_fix_it(https_server):
    client = HttpReranker(https_server.url, "m", retries=3, backoff=0.01)
    with pytest.raises(RerankServerError) as info:
        client.score(QUERY, ["a"])
    message = str(info.value)
    assert https_server.url in message and "not trusted" in message and "--ca-bundle" in message
    assert https_server.requests == []  # refused at the handshake, and not retried as if it were flaky


def test_ca_bundle_trusts_the_private_ca(https_server, ca):
    reranker = build_reranker("http", url=https_server.url, ca_bundle=ca.ca_pem, cache=False)
    assert reranker.model == "served" and reranker.score(QUERY, ["a", "b"]) == [0.5, 0.5]


def test_ssl_cert_file_is_honoured(https_server, ca, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_pem))
    assert HttpReranker(https_server.url, "m").score(QUERY, ["a"]) == [0.5]


def test_the_embedders_client_trusts_ssl_cert_file_too(https_server, ca, monkeypatch):
    from rerank_tui.embed.errors import EmbedServerError
    from rerank_tui.http_deadline import DeadlineClient

    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_pem))
    client = DeadlineClient(timeout=5, api_key_env="NO_SUCH_KEY", max_body_bytes=2**20, error=EmbedServerError,
                            what="embedding server", hint=str)
    assert client.request("GET", f"{https_server.url}/v1/models").status_code == 200
    client.close()


def test_a_missing_or_broken_bundle_is_named(tmp_path):
    with pytest.raises(RerankServerError, match="does not exist"):
        HttpReranker("https://127.0.0.1:9", "m", ca_bundle=tmp_path / "nope.pem")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(RerankServerError, match="not a PEM certificate bundle"):
        HttpReranker("https://127.0.0.1:9", "m", ca_bundle=tmp_path / "junk.pem")


def test_an_explicit_bundle_wins_over_ssl_cert_file(tmp_path, ca, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    assert ssl_context(ca.ca_pem).cert_store_stats()["x509_ca"] == 1


# -- proxies ------------------------------------------------------------------------------------
@pytest.fixture
def proxy():
    """A "proxy" that answers for the remote server itself (absolute-form request lines)."""
    with LocalServer(answer_rerank) as server:
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_never_proxied(proxy, monkeypatch, host):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url)
    with LocalServer(answer_rerank) as server:
        url = server.url.replace("127.0.0.1", host)
        assert HttpReranker(url, "m").score(QUERY, ["a"]) == [0.5]
        assert len(server.requests) == 1
    assert proxy.requests == []


def test_a_remote_host_goes_through_the_environments_proxy(proxy, monkeypatch):
    monkeypatch.setenv("http_proxy", proxy.url)
    reranker = HttpReranker("http://rerank.invalid:8000", retries=0)  # never resolved here: the proxy is asked
    assert reranker.model == "served" and reranker.score(QUERY, ["a"]) == [0.5]
    assert [r[1] for r in proxy.requests] == ["http://rerank.invalid:8000/v1/models", "http://rerank.invalid:8000/rerank"]
    assert reranker.identity == "http:served@http://rerank.invalid:8000"


def test_proxy_choice_follows_no_proxy():
    env = {"http": "http://proxy:3128", "https": "http://tls-proxy:3128", "no": "internal.example, .corp, 10.0.0.0/8, host:8443"}
    assert proxy_for("http://api.example.com/rerank", env) == "http://proxy:3128"
    assert proxy_for("https://api.example.com/rerank", env) == "http://tls-proxy:3128"
    for direct in (
        "http://127.0.0.1:8000", "http://127.9.9.9", "http://localhost:8000", "http://[::1]:8000", "http://a.localhost",
        "http://internal.example", "http://gpu.internal.example", "http://rerank.corp", "http://10.1.2.3:8000",
        "https://host:8443",
    ):
        assert proxy_for(direct, env) is None, direct
    assert proxy_for("https://host:9443", env) == "http://tls-proxy:3128"  # another port is not excepted
    assert proxy_for("http://example.com", {"all": "socks5://proxy:1080"}) == "socks5://proxy:1080"
    assert proxy_for("http://example.com", {"all": "http://p:1", "no": "*"}) is None
    assert proxy_for("http://example.com", {}) is None


def test_without_proxies_in_the_environment_the_transport_is_direct(monkeypatch):
    import httpx

    assert isinstance(deadline_transport(), httpx.HTTPTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert not isinstance(deadline_transport(), httpx.HTTPTransport)  # routes per host
    assert isinstance(deadline_transport(trust_env=False), httpx.HTTPTransport)
