build-l4/obj/gen/assets.o: build-l4/gen/assets.c api/assets.h
api/assets.h:
