"""The official Vonage Python SDK pointed at ringway over TLS: create, read, list, update, delete.

Start ringway with ``ringway serve --tls --port 8443``, then:

    REQUESTS_CA_BUNDLE=.ringway/tls/ca.pem RINGWAY_API_KEY=... RINGWAY_API_SECRET=... \\
        python examples/python/applications.py
"""

import os

from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig, Capabilities, Voice, VoiceUrl, VoiceWebhooks

host = os.environ.get("RINGWAY_HOST", "127.0.0.1:8443")  # host:port, no scheme: HTTPS only
vonage = Vonage(
    Auth(api_key=os.environ["RINGWAY_API_KEY"], api_secret=os.environ["RINGWAY_API_SECRET"]),
    HttpClientOptions(api_host=host, rest_host=host),
)

config = ApplicationConfig(
    name="python example",
    capabilities=Capabilities(
        voice=Voice(
            webhooks=VoiceWebhooks(
                answer_url=VoiceUrl(address="http://localhost:3000/answer", http_method="GET"),
                event_url=VoiceUrl(address="http://localhost:3000/event", http_method="POST"),
            )
        )
    ),
)
created = vonage.application.create_application(config)
private_key = (created.keys.model_extra or {}).get("private_key") if created.keys else None
print(f"created {created.id}; private key received: {bool(private_key)}")

fetched = vonage.application.get_application(created.id)
print(f"answer_url: {fetched.capabilities.voice.webhooks.answer_url.address}")

applications, _next_page = vonage.application.list_applications()
print(f"listed {len(applications)} application(s)")

config.name = "python example, renamed"
print(f"renamed to: {vonage.application.update_application(created.id, config).name}")

vonage.application.delete_application(created.id)
print("deleted")
