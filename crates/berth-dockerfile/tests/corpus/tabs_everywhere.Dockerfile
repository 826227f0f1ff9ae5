FROM	alpine:3.20	AS	base
RUN	--mount=type=tmpfs,target=/t	echo	tab
ENV	A=1	B=2
EXPOSE	80	443
