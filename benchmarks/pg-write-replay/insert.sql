INSERT INTO bench_resources (account_id, mesh_name, name, spec)
VALUES ('111122223333', 'bench', md5(random()::text), '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}');
