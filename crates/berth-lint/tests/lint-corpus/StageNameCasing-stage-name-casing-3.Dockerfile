FROM golang:1.23 AS Build
