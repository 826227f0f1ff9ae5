FROM nginx:1.27
    HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
