# .hadolint.yaml: trustedRegistries: [registry.example.com]
    FROM quay.io/org/app:1.0
