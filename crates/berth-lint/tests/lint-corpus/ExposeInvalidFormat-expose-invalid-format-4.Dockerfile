FROM nginx:1.27
    EXPOSE 80
