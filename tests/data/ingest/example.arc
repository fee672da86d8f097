filedesc://example.arc 192.0.2.1 20060101000000 text/plain 77
1 0 InternetArchive
URL IP-address Archive-date Content-type Archive-length


http://arc.example/ 192.0.2.1 20060101000001 text/html 138
HTTP/1.1 200 OK
Content-Type: text/html

<!doctype html><html><head><title>ARC page</title></head><body><p>Some text.</p></body></html>
http://arc.example/logo.gif 192.0.2.1 20060101000002 image/gif 54
HTTP/1.1 200 OK
Content-Type: image/gif

GIF89a....
dns:arc.example 192.0.2.1 20060101000003 text/dns 47
20060101000003
arc.example. 300 IN A 192.0.2.1

