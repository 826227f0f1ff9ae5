FROM a:1
LABEL Foo=bar
