FROM registry.example.com/org/app:1.0
