FROM --platform=${TARGETPLATFORM} a:1
