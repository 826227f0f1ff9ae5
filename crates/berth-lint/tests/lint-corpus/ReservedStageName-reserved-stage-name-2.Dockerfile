FROM a:1 AS base
