FROM a:1 AS b
from c:1 as d
