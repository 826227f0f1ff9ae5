FROM alpine:3.20
	 RUN echo indented
    	COPY a b
