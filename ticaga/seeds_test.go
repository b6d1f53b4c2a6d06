package ticaga

// Answers copied from the Ticaga API documentation (shared/seeds), string
// numbers included. Two changes, both to make the documented text valid
// JSON: the line breaks the documentation page put inside the ticket's
// "message" string are spaces, and the trailing comma of the tickets/close
// answer is gone.

const seedRegister = `{
  "user": {
    "name": "Michael Dance",
    "email": "dancemike@domain.com",
    "company": "Ticaga Ltd",
    "billing_id": "2",
    "billing_system": "blesta",
    "account_manager": "1",
    "biography": "",
    "updated_at": "2025-07-12T14:14:17.000000Z",
    "created_at": "2025-07-12T14:14:17.000000Z",
    "id": 8
  }
}`

const seedConnection = `{  
  "result": "true"  
}`

const seedUser = `{
  "user": {
    "id": 1,
    "name": "Joe Doe",
    "email": "joedoe@example.com",
    "email_verified_at": null,
    "company": "Demo Ltd",
    "phone_number": "",
    "billing_id": "0",
    "billing_system": "",
    "account_manager": "0",
    "biography": "",
    "created_at": "2025-07-13T17:15:25.000000Z",
    "updated_at": "2025-07-13T17:22:37.000000Z"
  }
}`

const seedUserNotFound = `{
  "error": "User not authenticated"
}`

const seedAssign = `{
  "user": true
}`

const seedClose = `{
  "id": 8
}`

const seedTicket = `{
  "tickets": {
    "id": 2,
    "user_id": 2,
    "subject": "Vitae provident aspernatur minima eum sunt.",
    "message": "Ullam minima est ut ipsa iusto impedit. Dolores quia quos repellat officiis. Autem ad sit qui omnis. Dolorem debitis architecto sit alias laboriosam.\n\nSaepe aut delectus nam omnis eius et. Ratione tempore eum fugiat illum magni quas et nemo. Odit nobis nesciunt voluptate. Excepturi ipsum quam sint in et.",
    "status": "open",
    "priority": "medium",
    "cc": "",
    "assigned": 0,
    "department_id": 2,
    "rating": "0",
    "ip_address": "81.9.172.148",
    "public_hash": "1riUX08xS9BNZvherjH0",
    "public_name": null,
    "public_email": null,
    "organize": "ticket",
    "date_closed": null,
    "updated_by_client_at": "2025-07-17 18:00:13",
    "first_employee_reply": null,
    "created_at": "2025-07-17T18:00:13.000000Z",
    "updated_at": null,
    "department_name": "Support",
    "department_description": "Need help, we are here to help.",
    "slug": "support",
    "allows_high_priority": 1,
    "is_public": 2,
    "is_disabled": 0,
    "department_email": "support@example.com",
    "soft_deleted": 0,
    "name": "Prof. Christelle Bechtelar",
    "email": "briana56@example.net",
    "company": "Olson, Hintz and Mueller",
    "company_name": "Olson, Hintz and Mueller",
    "client_name": "Prof. Christelle Bechtelar",
    "ticket_id": 2,
    "department_unique_id": 2,
    "ticket_created": "2025-07-17 18:00:13"
  }
}`

const seedNoTickets = `{
  "error": "No tickets found for this user."
}`

const seedTickets = `{
  "tickets": [
    {
      "id": 2,
      "user_id": 2,
      "subject": "Vitae provident aspernatur minima eum sunt.",
      "message": "Ullam minima est ut ipsa iusto impedit.",
      "status": "open",
      "priority": "medium",
      "cc": "",
      "assigned": 0,
      "department_id": 2,
      "rating": "0",
      "ip_address": "81.9.172.148",
      "public_hash": "1riUX08xS9BNZvherjH0",
      "public_name": null,
      "public_email": null,
      "organize": "ticket",
      "date_closed": null,
      "updated_by_client_at": "2025-07-17 18:00:13",
      "first_employee_reply": null,
      "created_at": "2025-07-17T18:00:13.000000Z",
      "updated_at": null
    }
  ]
}`

const seedTicketsEmpty = `{  
  "tickets": []  
}`

const seedResponses = `{
  "responses": [
    {
      "id": 4,
      "user_id": 4,
      "ticket_number": 2,
      "content": "Et animi corrupti ut atque incidunt dolores.",
      "organize": "ticket",
      "is_note": 0,
      "employee_response": 1,
      "ip_address": "45.35.88.228",
      "created_at": "2025-07-17T18:00:13.000000Z",
      "updated_at": null,
      "user_name": "Harry Marks",
      "user_email": "charles.renner@example.net"
    },
    {
      "id": 5,
      "user_id": 2,
      "ticket_number": 2,
      "content": "Et temporibus nisi voluptas accusantium provident.",
      "organize": "ticket",
      "is_note": 0,
      "employee_response": 0,
      "ip_address": "42.199.111.145",
      "created_at": "2025-07-17T18:00:13.000000Z",
      "updated_at": null,  
      "user_name": "Prof. Christelle Bechtelar",  
      "user_email": "briana56@example.net"  
    }
  ]  
}`

const seedTicketNotFound = `{  
  "error": "Ticket not found"  
}`

const seedNoResponses = `{  
  "error": "No responses found for this ticket."  
}`
